// Seed 004's code blocks (NetEase Yunxin's "消息收发") checked against
// imwasm/nim's typings (test/tsconfig.seed004.json), as the seed prints
// them, each in an async function of its own (the seed awaits at top
// level); web-nim-seed004.test.mjs runs these function bodies in the
// browsers, so they must stay the seed's text. Two bindings: `options` is the NIMSDK options of the seed's
// reader, and `document` is a page whose #fileInput is a file input (the
// DOM typings would say getElementById may find nothing, of any type).
// The config is --strict but for noImplicitAny, strictNullChecks and
// useUnknownInCatchVariables: with them no typing can pass the resend
// block, whose `let targetMsg = null` is typed null and read in a closure
// (TS7034, then TS2339 on never) and whose `catch (err)` reads err.msg
// (TS18046).
import NIMSDK from '../nim.js';

declare const options: ConstructorParameters<typeof NIMSDK>[0];
declare const document: { getElementById(id: string): HTMLInputElement & { files: FileList } };
declare const nim: NIMSDK;

export async function teamEvents() {
const eventList = [
  'updateTeam',
  'dismissTeam',
  'addTeamMembers',
  'updateTeamManagers',
  'removeTeamMembers',
  'transferTeam',
  'updateTeamMembersMute',
]

eventList.forEach((key: any) => {
  nim.on(key, (res) => {
    console.log(`收到 ${key} 事件:`, res ? JSON.parse(JSON.stringify(res)) : res);
  });
})
}

export async function send() {
// text message
await nim.msg.sendTextMsg({
  "scene": "p2p",
  "to": "{{Receiver_ACCOUNT_ID}}",
  "body": "this is a text",
  "onSendBefore": function(msg) {
    console.log('Get msg before send', msg)
  }
})

// tip message
await nim.msg.sendTipMsg({
  "scene": "p2p",
  "to": "{{Receiver_ACCOUNT_ID}}",
  "body": "this is a text"
})

// custom message
await nim.msg.sendCustomMsg({
  "scene": "p2p",
  "to": "{{Receiver_ACCOUNT_ID}}",
  // JSON format string
  "attach": "{\"a\":1}"
})

// GEO location message
await nim.msg.sendGeoLocationMsg({
  "scene": "p2p",
  "to": "{{Receiver_ACCOUNT_ID}}",
  // JSON object
  "attach": {
    "lng": 120.18201069999999,
    "lat": 30.2006603,
    "title": "Hangzhou"
  }
})

// Image message like '.jpg', '.png'
await nim.msg.sendImageMsg({
  "scene": "p2p",
  "to": "{{Receiver_ACCOUNT_ID}}",
  // Example dom for get file: <input type="file" id="fileInput" />
  "file": document.getElementById('fileInput').files[0],
  "onUploadStart": function(task) { console.log('Upload start!', task) },
  "onUploadProgress": function(progress) { console.log('Uploading!', progress) },
  "onUploadDone": function(file) { console.log('Upload done!', file) },
  "onSendBefore": function(msg) { console.log('Get msg before send', msg) }
})

// Audio message like '.mp3'
await nim.msg.sendAudioMsg({
  "scene": "p2p",
  "to": "{{Receiver_ACCOUNT_ID}}",
  // Example dom for get file: <input type="file" id="fileInput" />
  // 浏览器环境使用file或fileInput,uniapp,RN,小程序等环境使用filePath
  "file": document.getElementById('fileInput').files[0],
  "onUploadStart": function(task) { console.log('Upload start!', task) },
  "onUploadProgress": function(progress) { console.log('Uploading!', progress) },
  "onUploadDone": function(file) { console.log('Upload done!', file) },
  "onSendBefore": function(msg) { console.log('Get msg before send', msg) }
})

// Video message like '.mp4'
await nim.msg.sendVideoMsg({
  "scene": "p2p",
  "to": "{{Receiver_ACCOUNT_ID}}",
  // Example dom for get file: <input type="file" id="fileInput" />
  "file": document.getElementById('fileInput').files[0],
  "onUploadStart": function(task) { console.log('Upload start!', task) },
  "onUploadProgress": function(progress) { console.log('Uploading!', progress) },
  "onUploadDone": function(file) { console.log('Upload done!', file) },
  "onSendBefore": function(msg) { console.log('Get msg before send', msg) }
})

// File message
await nim.msg.sendFileMsg({
  "scene": "p2p",
  "to": "{{Receiver_ACCOUNT_ID}}",
  // Example dom for get file: <input type="file" id="fileInput" />
  "file": document.getElementById('fileInput').files[0],
  "onUploadStart": function(task) { console.log('Upload start!', task) },
  "onUploadProgress": function(progress) { console.log('Uploading!', progress) },
  "onUploadDone": function(file) { console.log('Upload done!', file) },
  "onSendBefore": function(msg) { console.log('Get msg before send', msg) }
})
}

export async function receive() {
const nim = new NIMSDK(options)
nim.on('msg', function(msg) { console.log('Receive msg: ', msg) })

await nim.connect()
}

export async function resend() {
let targetMsg = null

// Chrome devtool,network throttling Download Limit 0kb,and you will not receive the packet. 
// Finally, send message failed due to timeout
try {
  await nim.msg.sendTextMsg({
    "scene": "p2p",
    "to": "xiaodong1",
    "body": "test2",
    "onSendBefore": function(msg) {
      console.log('Get msg before send', msg)
    }
  })
} catch (err) {
    console.error('sendFailed', err)
    targetMsg=err.msg

    setTimeout(async function () {
       console.log(targetMsg)
      if (targetMsg && targetMsg.status === 'sendFailed') {
          // 发送失败后,隔5s后重发消息
          const msg = await nim.msg.resendMsg({
               "ps": "recall msg",
               "msg": targetMsg,
          })
      }
    }, 5000)
}
}

export async function forward() {
let msg = await nim.msg.sendTextMsg({
  "scene": "p2p",
  "to": "{{Receiver_ACCOUNT_ID}}",
  "body": "this is a text",
})

msg = await nim.msg.forwardMsg({
  "scene": "p2p",
  "to": "{{Other_Receiver_ACCOUNT_ID}}",
  "msg": msg,
})
}

export async function recall() {
let msg = await nim.msg.sendTextMsg({
  "scene": "p2p",
  "to": "{{Receiver_ACCOUNT_ID}}",
  "body": "this is a text2",
})

msg = await nim.msg.recallMsg({
  "ps": "recall msg",
  "msg": msg,
})
}

export async function receipt() {
const nim = new NIMSDK(options)

nim.on('msg', async function(msg) {
  console.log('Receive msg: ', msg)
  await nim.msg.sendMsgReceipt({
    msg: msg
  })
})

await nim.connect()
}
