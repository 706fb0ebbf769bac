// Seed 002's code blocks (Easemob's "实现消息回执", JavaScript) checked
// against imwasm/easemob's typings with checkJs (test/tsconfig.seed002.json:
// --strict but for noImplicitAny), as the seed prints them: each block in
// a scope of its own, the sendGroupReadMsg and sendReadMsg blocks as the
// class fields they are written as, and the one comma sendGroupReadMsg
// lacks (a SyntaxError as printed) added after `msg: 'message content'`.
// noImplicitAny is off because with it no typing can pass the seed's
// onReadMessage block: it adds groupReadCount to its own object literal
// (`let msg = { id: mid }`), which strict JavaScript checking refuses
// (TS2339) and plain JavaScript allows.
import websdk from '../easemob.js';

const WebIM = websdk;

const conn = new websdk.connection({
  appKey: "your appKey",
  delivery: true,
});

{
  conn.addEventHandler("customEvent", {
    onReceivedMessage: function (message) {}, // 收到消息送达服务器回执。
    onDeliveredMessage: function (message) {}, // 收到消息送达客户端回执。
  });
}

{
  let option = {
    chatType: "singleChat", // 会话类型，设置为单聊。
    type: "channel", // 消息类型。
    to: "userId", // 接收消息对象的用户 ID。
  };
  let msg = WebIM.message.create(option);
  conn.send(msg);
}

{
  let option = {
    type: "read", // 消息类型为消息已读回执。
    chatType: "singleChat", // 会话类型，这里为单聊。
    to: "userId", // 消息接收方的用户 ID。
    id: "id", // 需要发送已读回执的消息 ID。
  };
  let msg = WebIM.message.create(option);
  conn.send(msg);
}

{
  conn.addEventHandler("customEvent", {
    onReadMessage: (message) => {},
  });
}

export class Seed002 {
  sendGroupReadMsg = () => {
      let option = {
          type: 'txt',            // 消息类型。
          chatType: 'groupChat',  // 会话类型，这里为群聊。
          to: 'groupId',          // 消息接收方，即群组 ID。
          msg: 'message content', // 消息内容。
          msgConfig: { allowGroupAck: true } // 设置此消息需要已读回执。
      }

      let msg = WebIM.message.create(option);
      conn.send(msg).then((res) => {
          console.log('send message success');
      }).catch((e) => {
          console.log("send message error");
      })
  }

  sendReadMsg = () => {
    let option = {
      type: "read", // 消息是否已读。
      chatType: "groupChat", // 会话类型，这里为群聊。
      id: "msgId", // 需要发送已读回执的消息 ID。
      to: "groupId", // 群组 ID。
      ackContent: JSON.stringify({}), // 回执内容。
    };
    let msg = WebIM.message.create(option);
    conn.send(msg);
  };
}

{
  // 在线时可以在 onReadMessage 里监听。
  conn.addEventHandler("customEvent", {
    onReadMessage: (message) => {
      let { mid } = message;
      let msg = {
        id: mid,
      };
      if (message.groupReadCount) {
        // 消息已读数。
        msg.groupReadCount = message.groupReadCount[message.mid];
      }
    },

    // 离线时收到回执，登录后会在这里监听到。
    onStatisticMessage: (message) => {
      let statisticMsg = message.location && JSON.parse(message.location);
      let groupAck = statisticMsg.group_ack || [];
    },
  });
}

{
  conn
    .getGroupMsgReadUser({
      msgId: "messageId", // 消息 ID。
      groupId: "groupId", // 群组 ID。
    })
    .then((res) => {
      console.log(res);
    });
}
