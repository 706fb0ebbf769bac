// imwasm/easemob in each browser engine against a real server: Easemob Web
// SDK code (a connection opened with a token, message.create and send for
// text, custom and cmd messages, the handlers that receive them, the
// server's and delivery acks) on the same engine as the RongIMLib API.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveStatic, launch, engines, closeAll, waitGot } from './browser.mjs';
import { startServer, admin } from './harness.mjs';

for (const engine of engines()) describe(engine, () => {
  let server, web, browser;
  const u = {};

  // open loads the page, imports imwasm/easemob as Easemob code imports
  // easemob-websdk, and opens user's connection with an imwasm token.
  async function open(user) {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error(`[${user} page error]`, e));
    await page.goto(web.url + '/page.html');
    await page.waitForFunction(() => window.sdkLoaded);
    await page.evaluate(async ({ url, user, token }) => {
      const websdk = (await import('/easemob.js')).default;
      window.WebIM = websdk;
      window.got = [];
      const conn = new websdk.connection({ appKey: 'node-test-app', url, delivery: true });
      window.conn = conn;
      const record = (name) => (m) => window.got.push([name, m]);
      conn.addEventHandler('test', {
        onConnected: record('onConnected'),
        onTextMessage: record('onTextMessage'),
        onCustomMessage: record('onCustomMessage'),
        onImageMessage: record('onImageMessage'),
        onFileMessage: record('onFileMessage'),
        onAudioMessage: record('onAudioMessage'),
        onVideoMessage: record('onVideoMessage'),
        onLocationMessage: record('onLocationMessage'),
        onCmdMessage: record('onCmdMessage'),
        onReceivedMessage: record('onReceivedMessage'),
        onDeliveredMessage: record('onDeliveredMessage'),
        onRecallMessage: record('onRecallMessage'),
        onContactInvited: record('onContactInvited'),
        onContactAdded: record('onContactAdded'),
        onContactDeleted: record('onContactDeleted'),
        onPresenceStatusChange: record('onPresenceStatusChange'),
        onGroupEvent: record('onGroupEvent'),
        onModifiedMessage: record('onModifiedMessage'),
      });
      await conn.open({ user, accessToken: token });
    }, { url: server.url.replace(/^http/, 'ws'), user, token: server.token(user) });
    return { page, context, user };
  }



  before(async () => {
    server = await startServer();
    web = await serveStatic();
    browser = await launch(engine);
    u.amy = await open('amy');
    u.ben = await open('ben');
  });

  after(() => closeAll(() => browser?.close(), () => web?.close(), () => server?.stop()));

  test('text, custom and cmd messages, with the server and delivery acks', async () => {
    assert.equal(await u.amy.page.evaluate(() => conn.isOpened()), true);
    const sent = await u.amy.page.evaluate(async () => {
      const msg = WebIM.message.create({ type: 'txt', chatType: 'singleChat', to: 'ben', msg: 'hello ben', ext: { mood: 'happy' } });
      const res = await conn.send(msg);
      return { res, localId: msg.id };
    });
    assert.equal(sent.res.localMsgId, sent.localId);
    assert.ok(sent.res.serverMsgId);
    const txt = await waitGot(u.ben, 'onTextMessage', (m) => m.id === sent.res.serverMsgId, 'the text');
    assert.equal(txt.type, 'txt');
    assert.equal(txt.msg, 'hello ben');
    assert.equal(txt.from, 'amy');
    assert.equal(txt.to, 'ben');
    assert.equal(txt.chatType, 'singleChat');
    assert.deepEqual(txt.ext, { mood: 'happy' });
    assert.ok(txt.time > 0);
    await waitGot(u.amy, 'onReceivedMessage', (m) => m.mid === sent.res.serverMsgId && m.id === sent.localId, 'the server ack');
    await waitGot(u.amy, 'onDeliveredMessage', (m) => m.mid === sent.res.serverMsgId && m.from === 'ben', 'the delivery ack');

    const custom = await u.ben.page.evaluate(() => conn.send(WebIM.message.create({
      type: 'custom', chatType: 'singleChat', to: 'amy', customEvent: 'gift', customExts: { rose: 3 },
    })));
    const c = await waitGot(u.amy, 'onCustomMessage', (m) => m.id === custom.serverMsgId, 'the custom message');
    assert.equal(c.customEvent, 'gift');
    assert.deepEqual(c.customExts, { rose: 3 });
    const cmd = await u.ben.page.evaluate(() => conn.send(WebIM.message.create({ type: 'cmd', chatType: 'singleChat', to: 'amy', action: 'typing' })));
    const k = await waitGot(u.amy, 'onCmdMessage', (m) => m.id === cmd.serverMsgId, 'the cmd message');
    assert.equal(k.action, 'typing');
  });

  test('image and file messages, uploaded with Easemob\'s callbacks', async () => {
    const sent = await u.amy.page.evaluate(async () => {
      const canvas = Object.assign(document.createElement('canvas'), { width: 320, height: 200 });
      const ctx = canvas.getContext('2d');
      ctx.fillStyle = '#36c';
      ctx.fillRect(0, 0, 320, 200);
      const png = await new Promise((res) => canvas.toBlob(res, 'image/png'));
      const progress = [];
      let completed = null;
      const img = await conn.send(WebIM.message.create({
        type: 'img', chatType: 'singleChat', to: 'ben', file: { data: new File([png], 'blue.png', { type: 'image/png' }) },
        onFileUploadProgress: (e) => progress.push(e.loaded), onFileUploadComplete: (r) => { completed = r.url; },
      }));
      const doc = new File([new TextEncoder().encode('minutes of the meeting')], 'minutes.txt', { type: 'text/plain' });
      const file = await conn.send(WebIM.message.create({ type: 'file', chatType: 'singleChat', to: 'ben', file: { data: doc, filename: 'minutes.txt' } }));
      return { img, file, progress, completed };
    });
    assert.ok(sent.completed, 'onFileUploadComplete was not called');
    assert.equal(sent.progress[sent.progress.length - 1], 100);
    const img = await waitGot(u.ben, 'onImageMessage', (m) => m.id === sent.img.serverMsgId, 'the image');
    assert.equal(img.url, sent.completed);
    assert.match(img.thumb, /^data:image\/jpeg;base64,/);
    const file = await waitGot(u.ben, 'onFileMessage', (m) => m.id === sent.file.serverMsgId, 'the file');
    assert.equal(file.filename, 'minutes.txt');
    assert.equal(file.file_length, 22);
    const body = await u.ben.page.evaluate((url) => fetch(url).then((r) => r.text()), file.url);
    assert.equal(body, 'minutes of the meeting');
  });

  test('audio, video and location messages', async () => {
    const sent = await u.amy.page.evaluate(async () => {
      // One second of silence as a WAV file (8 kHz, 16-bit mono).
      const n = 8000;
      const wav = new DataView(new ArrayBuffer(44 + 2 * n));
      const put = (o, s) => [...s].forEach((ch, i) => wav.setUint8(o + i, ch.charCodeAt(0)));
      put(0, 'RIFF'); wav.setUint32(4, 36 + 2 * n, true); put(8, 'WAVEfmt ');
      wav.setUint32(16, 16, true); wav.setUint16(20, 1, true); wav.setUint16(22, 1, true);
      wav.setUint32(24, 8000, true); wav.setUint32(28, 16000, true); wav.setUint16(32, 2, true); wav.setUint16(34, 16, true);
      put(36, 'data'); wav.setUint32(40, 2 * n, true);
      const audio = await conn.send(WebIM.message.create({
        type: 'audio', chatType: 'singleChat', to: 'ben', length: 1, file: { data: new File([wav.buffer], 'hello.wav', { type: 'audio/wav' }) },
      }));
      const clip = new File([new Uint8Array(2048).fill(7)], 'clip.mp4', { type: 'video/mp4' });
      const video = await conn.send(WebIM.message.create({ type: 'video', chatType: 'singleChat', to: 'ben', length: 3, file: { data: clip } }));
      const loc = await conn.send(WebIM.message.create({ type: 'loc', chatType: 'singleChat', to: 'ben', lat: 39.9, lng: 116.4, addr: 'Beijing' }));
      return { audio, video, loc };
    });
    const a = await waitGot(u.ben, 'onAudioMessage', (m) => m.id === sent.audio.serverMsgId, 'the audio message');
    assert.equal(a.type, 'audio');
    assert.equal(a.filename, 'hello.wav');
    assert.equal(a.file_length, 44 + 16000);
    assert.ok([0, 1].includes(a.length), `audio length ${a.length}`); // 0 where the engine cannot decode WAV
    assert.equal(await (await fetch(a.url)).arrayBuffer().then((b) => b.byteLength), 44 + 16000);
    const v = await waitGot(u.ben, 'onVideoMessage', (m) => m.id === sent.video.serverMsgId, 'the video message');
    assert.deepEqual([v.type, v.filename, v.length, v.file_length], ['video', 'clip.mp4', 3, 2048]);
    const l = await waitGot(u.ben, 'onLocationMessage', (m) => m.id === sent.loc.serverMsgId, 'the location message');
    assert.deepEqual([l.type, l.lat, l.lng, l.addr, l.from], ['loc', 39.9, 116.4, 'Beijing', 'amy']);
  });

  test('recall, history with its cursor, contacts and the blocklist', async () => {
    const sent = [];
    for (const text of ['one', 'two', 'three']) {
      sent.push(await u.ben.page.evaluate((msg) => conn.send(WebIM.message.create({ type: 'txt', chatType: 'singleChat', to: 'amy', msg })), text));
    }
    await waitGot(u.amy, 'onTextMessage', (m) => m.id === sent[2].serverMsgId, 'the third text');
    // History, newest first, two at a time: the cursor walks back.
    const pages = await u.amy.page.evaluate(async () => {
      const first = await conn.getHistoryMessages({ targetId: 'ben', chatType: 'singleChat', pageSize: 2 });
      const second = await conn.getHistoryMessages({ targetId: 'ben', chatType: 'singleChat', pageSize: 2, cursor: first.cursor });
      return [first, second].map((p) => ({ texts: p.messages.map((m) => m.msg), isLast: p.isLast, cursor: p.cursor }));
    });
    assert.deepEqual(pages[0].texts, ['three', 'two']);
    assert.equal(pages[0].isLast, false);
    assert.equal(pages[1].texts[0], 'one');

    // Recall: ben takes back "three"; amy hears of it.
    assert.equal((await u.ben.page.evaluate((mid) => conn.recallMessage({ mid, to: 'amy', chatType: 'singleChat' }), sent[2].serverMsgId)).serverMsgId, sent[2].serverMsgId);
    const recalled = await waitGot(u.amy, 'onRecallMessage', (m) => m.mid === sent[2].serverMsgId, 'the recall');
    assert.equal(recalled.from, 'ben');
    assert.equal(recalled.to, 'amy');

    // Contacts: amy asks, ben accepts; both are contacts; amy removes ben.
    await u.amy.page.evaluate(() => conn.addContact('ben', 'add me?'));
    const invite = await waitGot(u.ben, 'onContactInvited', (m) => m.from === 'amy', 'the invitation');
    assert.equal(invite.status, 'add me?');
    await u.ben.page.evaluate(() => conn.acceptContactInvite('amy'));
    await waitGot(u.amy, 'onContactAdded', (m) => m.from === 'ben', 'the contact added');
    assert.deepEqual((await u.amy.page.evaluate(() => conn.getContacts())).data, ['ben']);
    await u.amy.page.evaluate(() => conn.deleteContact('ben'));
    await waitGot(u.ben, 'onContactDeleted', (m) => m.from === 'amy', 'the contact deleted');

    // The blocklist: amy blocks ben; his text fails with Easemob's code.
    await u.amy.page.evaluate(() => conn.addUsersToBlocklist({ name: ['ben'] }));
    assert.deepEqual((await u.amy.page.evaluate(() => conn.getBlocklist())).data, ['ben']);
    const blocked = await u.ben.page.evaluate(async () => {
      try { await conn.send(WebIM.message.create({ type: 'txt', chatType: 'singleChat', to: 'amy', msg: 'hello?' })); return null; } catch (e) { return e; }
    });
    assert.equal(blocked.type, 502);
    await u.amy.page.evaluate(() => conn.removeUserFromBlocklist({ name: 'ben' }));
    await u.ben.page.evaluate(() => conn.send(WebIM.message.create({ type: 'txt', chatType: 'singleChat', to: 'amy', msg: 'unblocked' })));
    await waitGot(u.amy, 'onTextMessage', (m) => m.msg === 'unblocked', 'the text after unblocking');
  });

  test('presence: a subscriber hears a user go offline when the last page closes', async () => {
    const cy = await open('cy');
    const sub = await u.amy.page.evaluate(() => conn.subscribePresence({ usernames: ['cy'], expiry: 3600 }));
    assert.deepEqual(sub.data.result[0].status, { web: 1 });
    await cy.page.close();
    const off = await waitGot(u.amy, 'onPresenceStatusChange', (list) => list.some((p) => p.userId === 'cy' && p.statusDetails[0].status === 0), 'cy offline');
    assert.equal(off[0].expire, 3600);
    const now = await u.amy.page.evaluate(() => conn.getPresenceStatus({ usernames: ['cy'] }));
    assert.deepEqual(now.data.result[0].status, { web: 0 });
    await cy.context.close();
  });

  test('groups: create with approval, a request accepted, an admin, a text, the owner changed, destroyed', async () => {
    const dee = await open('dee');
    const gid = await u.amy.page.evaluate(async () => (await conn.createGroup({ data: {
      groupname: 'Readers', desc: 'books', members: ['ben'], public: true, approval: true, allowinvites: false, inviteNeedConfirm: true, maxusers: 200,
    } })).data.groupid);
    await waitGot(u.ben, 'onGroupEvent', (e) => e.operation === 'directJoined' && e.id === gid, 'ben pulled in');
    await dee.page.evaluate((gid) => conn.joinGroup({ groupId: gid, message: 'let me in' }), gid);
    const req = await waitGot(u.amy, 'onGroupEvent', (e) => e.operation === 'requestToJoin' && e.id === gid, 'the request');
    assert.equal(req.from, 'dee');
    await u.amy.page.evaluate((gid) => conn.acceptGroupJoinRequest({ groupId: gid, applicant: 'dee' }), gid);
    await waitGot(dee, 'onGroupEvent', (e) => e.operation === 'acceptRequest' && e.id === gid, 'accepted');
    await waitGot(u.ben, 'onGroupEvent', (e) => e.operation === 'memberPresence' && e.userId === 'dee', 'dee joined');
    await u.amy.page.evaluate((gid) => conn.setAdmin({ groupId: gid, username: 'ben' }), gid);
    await waitGot(u.ben, 'onGroupEvent', (e) => e.operation === 'setAdmin' && e.id === gid, 'made admin');
    const sent = await dee.page.evaluate((gid) => conn.send(WebIM.message.create({ type: 'txt', chatType: 'groupChat', to: gid, msg: 'hi all' })), gid);
    const got = await waitGot(u.ben, 'onTextMessage', (m) => m.id === sent.serverMsgId, 'the group text');
    assert.equal(got.chatType, 'groupChat');
    assert.equal(got.to, gid);
    const info = await u.ben.page.evaluate((gid) => conn.getGroupInfo({ groupId: gid }), gid);
    assert.equal(info.data[0].name, 'Readers');
    assert.equal(info.data[0].description, 'books');
    assert.equal(info.data[0].affiliations_count, 3);
    assert.equal(info.data[0].membersonly, true);
    assert.equal(info.data[0].mute, false);
    assert.deepEqual(info.data[0].affiliations.map((m) => m.owner ? ['owner', m.owner] : ['member', m.member]).sort(),
      [['member', 'ben'], ['member', 'dee'], ['owner', 'amy']]);
    const joined = await u.ben.page.evaluate(() => conn.getJoinedGroups({ pageNum: 1, pageSize: 500 }));
    assert.deepEqual(joined.data.filter((g) => g.groupid === gid), [{ groupid: gid, groupname: 'Readers' }]);
    const second = await u.ben.page.evaluate(() => conn.getJoinedGroups({ pageNum: 2, pageSize: 500 }));
    assert.deepEqual(second.data, []);
    const members = await u.ben.page.evaluate((gid) => conn.listGroupMembers({ groupId: gid, pageNum: 1, pageSize: 10 }), gid);
    assert.deepEqual(members.data.map((m) => m.owner ?? m.member).sort(), ['amy', 'ben', 'dee']);
    // Mutes: dee's group text fails while she is muted, and while the group is.
    const groupText = (x, msg) => x.page.evaluate(async ({ gid, msg }) => {
      try { await conn.send(WebIM.message.create({ type: 'txt', chatType: 'groupChat', to: gid, msg })); return 0; } catch (e) { return e.type; }
    }, { gid, msg });
    await u.amy.page.evaluate((gid) => conn.muteGroupMember({ groupId: gid, username: 'dee', muteDuration: 60000 }), gid);
    await waitGot(dee, 'onGroupEvent', (e) => e.operation === 'muteMember' && e.id === gid, 'muted');
    assert.equal(await groupText(dee, 'muted?'), 507); // SERVICE_NOT_ALLOW_MESSAGING_MUTE: "you were muted"
    await u.amy.page.evaluate((gid) => conn.unmuteGroupMember({ groupId: gid, username: 'dee' }), gid);
    await waitGot(dee, 'onGroupEvent', (e) => e.operation === 'unmuteMember', 'unmuted');
    assert.equal(await groupText(dee, 'free'), 0);
    await u.amy.page.evaluate((gid) => conn.disableSendGroupMsg({ groupId: gid }), gid);
    await waitGot(dee, 'onGroupEvent', (e) => e.operation === 'muteAllMembers', 'the group muted');
    assert.equal(await groupText(dee, 'quiet?'), 507); // the same for the whole group muted
    assert.equal((await dee.page.evaluate((gid) => conn.getGroupInfo({ groupId: gid }), gid)).data[0].mute, true);
    assert.equal(await groupText(u.ben, 'admins speak'), 0);
    await u.amy.page.evaluate((gid) => conn.enableSendGroupMsg({ groupId: gid }), gid);
    await waitGot(dee, 'onGroupEvent', (e) => e.operation === 'unmuteAllMembers', 'the group unmuted');
    await u.amy.page.evaluate((gid) => conn.changeGroupOwner({ groupId: gid, newOwner: 'ben' }), gid);
    await waitGot(u.ben, 'onGroupEvent', (e) => e.operation === 'changeOwner' && e.userId === 'ben', 'the new owner'); // told to the new and old owners only
    const refused = await dee.page.evaluate(async (gid) => { try { await conn.destroyGroup({ groupId: gid }); return null; } catch (e) { return e; } }, gid);
    assert.ok(refused && refused.type !== 0, 'a member destroyed the group');
    await u.ben.page.evaluate((gid) => conn.destroyGroup({ groupId: gid }), gid);
    await waitGot(dee, 'onGroupEvent', (e) => e.operation === 'destroy' && e.id === gid, 'destroyed');
    await dee.context.close();
  });

  test('conversations (list, pin, delete) and an edited message', async () => {
    const sent = await u.ben.page.evaluate(() => conn.send(WebIM.message.create({ type: 'txt', chatType: 'singleChat', to: 'amy', msg: 'typo hre' })));
    await waitGot(u.amy, 'onTextMessage', (m) => m.id === sent.serverMsgId, 'the text');
    await u.ben.page.evaluate((id) => conn.modifyMessage({ messageId: id,
      modifiedMessage: WebIM.message.create({ type: 'txt', chatType: 'singleChat', to: 'amy', msg: 'typo here' }) }), sent.serverMsgId);
    const edited = await waitGot(u.amy, 'onModifiedMessage', (m) => m.id === sent.serverMsgId, 'the edit');
    assert.equal(edited.msg, 'typo here');
    const page = await u.amy.page.evaluate(() => conn.getServerConversations({ pageSize: 20 }));
    const withBen = page.data.conversations.find((c) => c.conversationId === 'ben');
    assert.ok(withBen, 'no conversation with ben');
    assert.equal(withBen.conversationType, 'singleChat');
    assert.equal(withBen.lastMessage.msg, 'typo here');
    const pinned = await u.amy.page.evaluate(() => conn.pinConversation({ conversationId: 'ben', conversationType: 'singleChat', isPinned: true }));
    assert.equal(pinned.data.isPinned, true);
    const again = await u.amy.page.evaluate(() => conn.getServerConversations({ pageSize: 20 }));
    assert.equal(again.data.conversations.find((c) => c.conversationId === 'ben').isPinned, true);
    await u.amy.page.evaluate(() => conn.deleteConversation({ channel: 'ben', chatType: 'singleChat', deleteRoam: false }));
    const after = await u.amy.page.evaluate(() => conn.getServerConversations({ pageSize: 20 }));
    assert.ok(!after.data.conversations.some((c) => c.conversationId === 'ben'), 'the deleted conversation is listed');
  });

  // Silent mode on the engine's push settings; what they hold back is the
  // server's tests' (server/push_test.go TestDoNotDisturb, TestQuietHours).
  test('silent mode: remind types, a duration and an interval, kept by the server', async () => {
    const r = await u.ben.page.evaluate(async () => {
      const caught = async (f) => { try { await f(); return null; } catch (e) { return e.type; } };
      const out = { before: (await conn.getSilentModeForAll()).data };
      out.at = (await conn.setSilentModeForAll({ options: { paramType: 0, remindType: 'AT' } })).data;
      out.duration = (await conn.setSilentModeForAll({ options: { paramType: 1, duration: 3600000 } })).data;
      out.interval = (await conn.setSilentModeForAll({ options: { paramType: 2, startTime: { hours: 22, minutes: 30 }, endTime: { hours: 7, minutes: 5 } } })).data;
      out.all = (await conn.getSilentModeForAll()).data;
      out.quiet = (await RongIMLib.getNotificationQuietHoursSetting()).data;
      out.zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      await conn.setSilentModeForConversation({ conversationId: 'amy', type: 'singleChat', options: { paramType: 0, remindType: 'NONE' } });
      out.conv = (await conn.getSilentModeForConversation({ conversationId: 'amy', type: 'singleChat' })).data;
      out.level = (await RongIMLib.getConversationNotificationLevel({ conversationType: 1, targetId: 'amy' })).data;
      out.convDnd = (await conn.setSilentModeForConversation({ conversationId: 'amy', type: 'singleChat', options: { paramType: 1, duration: 600000 } })).data;
      out.many = (await conn.getSilentModeForConversations({ conversationList: [{ id: 'amy', type: 'singleChat' }, { id: 'nobody', type: 'singleChat' }] })).data;
      out.bad = {
        remind: await caught(() => conn.setSilentModeForAll({ options: { paramType: 0, remindType: 'SOME' } })),
        long: await caught(() => conn.setSilentModeForAll({ options: { paramType: 1, duration: 7 * 86400000 + 1 } })),
        hour: await caught(() => conn.setSilentModeForAll({ options: { paramType: 2, startTime: { hours: 24, minutes: 0 }, endTime: { hours: 7, minutes: 0 } } })),
        same: await caught(() => conn.setSilentModeForAll({ options: { paramType: 2, startTime: { hours: 8, minutes: 0 }, endTime: { hours: 8, minutes: 0 } } })),
        convInterval: await caught(() => conn.setSilentModeForConversation({ conversationId: 'amy', type: 'singleChat', options: { paramType: 2, startTime: { hours: 1, minutes: 0 }, endTime: { hours: 2, minutes: 0 } } })),
        convLong: await caught(() => conn.setSilentModeForConversation({ conversationId: 'amy', type: 'singleChat', options: { paramType: 1, duration: -5 } })),
        room: await caught(() => conn.getSilentModeForConversation({ conversationId: 'r', type: 'chatRoom' })),
      };
      out.after = (await conn.getSilentModeForAll()).data;
      await conn.clearRemindTypeForConversation({ conversationId: 'amy', type: 'singleChat' });
      await conn.setSilentModeForConversation({ conversationId: 'amy', type: 'singleChat', options: { paramType: 1, duration: 0 } });
      out.cleared = (await conn.getSilentModeForConversation({ conversationId: 'amy', type: 'singleChat' })).data;
      return out;
    });
    assert.deepEqual(r.before, { ignoreDuration: 0 });
    assert.deepEqual(r.at, { type: 'AT' });
    assert.ok(r.duration.ignoreDuration > Date.now() + 3500000 && r.duration.ignoreDuration < Date.now() + 3700000, `until ${r.duration.ignoreDuration}`);
    assert.deepEqual(r.interval, { ignoreInterval: '22:30-7:5' });
    assert.deepEqual(r.all, { type: 'AT', ignoreDuration: r.duration.ignoreDuration, ignoreInterval: '22:30-7:5' });
    assert.deepEqual(r.quiet, { startTime: '22:30:00', spanMinutes: 515, level: 5, timezone: r.zone }, 'the quiet hours the interval became');
    assert.deepEqual(r.conv, { type: 'NONE' });
    assert.equal(r.level, 5);
    assert.ok(r.convDnd.ignoreDuration > Date.now() + 500000 && r.convDnd.ignoreDuration < Date.now() + 700000, `the conversation's until ${r.convDnd.ignoreDuration}`);
    assert.deepEqual(r.many, { user: { amy: { type: 'NONE', ignoreDuration: r.convDnd.ignoreDuration }, nobody: {} }, group: {} });
    assert.deepEqual(r.bad, { remind: -3, long: -3, hour: -3, same: -3, convInterval: 53, convLong: -3, room: -3 });
    assert.deepEqual(r.after, r.all, 'a refused call changed something');
    assert.deepEqual(r.cleared, {});
    // The server has them: for the pushes, and for every device.
    const push = (await admin(server, 'GET', '/v1/users/ben/push')).data;
    assert.equal(push.doNotDisturbUntil, r.duration.ignoreDuration);
    assert.deepEqual(push.quietHours, { startTime: '22:30:00', spanMinutes: 515, level: 5, timezone: r.zone });
    const other = await open('ben');
    const there = await other.page.evaluate(async () => {
      let all; // the type levels reach this device by its sync, which may follow open's answer
      for (const end = Date.now() + 10000; Date.now() < end && !all?.type; await new Promise((ok) => setTimeout(ok, 50))) {
        all = (await conn.getSilentModeForAll()).data;
      }
      await conn.setSilentModeForAll({ options: { paramType: 1, duration: 0 } });
      await conn.setSilentModeForAll({ options: { paramType: 2, startTime: { hours: 0, minutes: 0 }, endTime: { hours: 0, minutes: 0 } } });
      await conn.setSilentModeForAll({ options: { paramType: 0, remindType: 'ALL' } });
      return { all, ended: (await conn.getSilentModeForAll()).data };
    });
    await other.context.close();
    assert.deepEqual(there.all, r.all);
    assert.deepEqual(there.ended, { type: 'ALL', ignoreDuration: 0 });
  });

  test('user attributes: set at once and one by one, read by another user, shared with the RongIMLib profile', async () => {
    const set = await u.amy.page.evaluate(async () => {
      const all = await conn.updateUserInfo({ nickname: 'Amy', avatarurl: 'https://x/amy.png', mail: 'amy@x', phone: '123', gender: 'female',
        sign: 'hello', birth: '2000-01-01', ext: JSON.stringify({ team: 'blue' }) });
      const one = await conn.updateUserInfo('phone', '456'); // keeps sign and ext
      const old = await conn.updateOwnUserInfo('sign', ''); // removes sign
      const caught = async (f) => { try { await f(); return null; } catch (e) { return e.type; } };
      return { all, one, old, tooLong: await caught(() => conn.updateUserInfo('nickname', 'x'.repeat(65))), bad: await caught(() => conn.updateUserInfo(7)),
        mine: (await (await import('/index.js')).getMyUserProfile()).data };
    });
    const want = { nickname: 'Amy', avatarurl: 'https://x/amy.png', mail: 'amy@x', phone: '123', gender: '2', sign: 'hello', birth: '2000-01-01', ext: '{"team":"blue"}' };
    assert.deepEqual(set.all, { type: 0, data: want });
    assert.deepEqual(set.one.data, { ...want, phone: '456' });
    const { sign, ...unsigned } = { ...want, phone: '456' };
    assert.deepEqual(set.old.data, unsigned);
    assert.equal(set.tooLong, -3);
    assert.equal(set.bad, -3);
    // The RongIMLib profile of the same user: the same data.
    assert.equal(set.mine.name, 'Amy');
    assert.equal(set.mine.gender, 2);
    assert.deepEqual(set.mine.extraProfile, { tel: '456', ext: '{"team":"blue"}' });
    const read = await u.ben.page.evaluate(async () => ({
      all: await conn.fetchUserInfoById('amy'),
      some: await conn.fetchUserInfoById(['amy', 'ben'], ['nickname', 'phone']),
      tooMany: await conn.fetchUserInfoById(Array.from({ length: 101 }, (_, i) => `u${i}`)).catch((e) => e.type),
    }));
    assert.deepEqual(read.all.data, { amy: unsigned });
    assert.deepEqual(read.some.data, { amy: { nickname: 'Amy', phone: '456' }, ben: {} });
    assert.equal(read.tooMany, 50);
  });

  test('errors as Easemob reports them', async () => {
    const errors = await u.amy.page.evaluate(async () => {
      const caught = async (f) => { try { await f(); return null; } catch (e) { return { type: e.type, message: e.message }; } };
      return {
        second: await caught(() => new WebIM.connection({ appKey: 'node-test-app', url: 'ws://127.0.0.1:1' })),
        badType: await caught(() => conn.send(WebIM.message.create({ type: 'combine', chatType: 'singleChat', to: 'ben' }))),
        noFile: await caught(() => conn.send(WebIM.message.create({ type: 'video', chatType: 'singleChat', to: 'ben' }))),
        delivery: await caught(() => conn.send(WebIM.message.create({ type: 'delivery', chatType: 'singleChat', to: 'ben', id: 'x' }))),
        readNoID: await caught(() => conn.send({ type: 'read', chatType: 'singleChat', to: 'ben' })),
        noTo: await caught(() => conn.send(WebIM.message.create({ type: 'txt', chatType: 'singleChat', msg: 'x' }))),
        chatRoom: await caught(() => conn.send(WebIM.message.create({ type: 'txt', chatType: 'chatRoom', to: 'r', msg: 'x' }))),
        register: await caught(() => conn.registerUser({ username: 'x', password: 'y' })),
      };
    });
    assert.equal(errors.second.type, -3, 'a second connection while one is open');
    assert.equal(errors.badType.type, 53);
    assert.equal(errors.noFile.type, 205);
    assert.equal(errors.delivery.type, 53, 'delivery acks are the SDK\'s own');
    assert.equal(errors.readNoID.type, 205);
    assert.equal(errors.noTo.type, 205);
    assert.equal(errors.chatRoom.type, 702); // a room the sender has not joined
    assert.equal(errors.register.type, 53);
    assert.match(errors.register.message, /token/);

    // Bad parameters are -3 (fail told too), async calls reject and never
    // throw, and the engine's INVALID_PARAMETER_* codes are -3 as 33003 is.
    await admin(server, 'POST', '/v1/chatrooms', { id: 'errs' });
    const bad = await u.amy.page.evaluate(async () => {
      const caught = (f) => {
        let p;
        try { p = f(); } catch (e) { return { sync: true, type: e?.type, name: e?.name }; }
        return p.then((ok) => ({ ok }), (e) => ({ type: e.type, name: e.name, message: e.message }));
      };
      const send = async (m) => {
        const fails = [];
        const r = await caught(() => conn.send(WebIM.message.create({ chatType: 'singleChat', to: 'ben', ...m, fail: (e) => fails.push(e.type) })));
        return { ...r, fails };
      };
      const cycle = {};
      cycle.self = cycle;
      const room = (fn, p) => caught(() => conn[fn]({ chatRoomId: 'errs', ...p }));
      const r = {
        bigExt: await send({ type: 'txt', msg: 'x', ext: { n: 1n } }),
        cycleExt: await send({ type: 'txt', msg: 'x', ext: cycle }),
        bigCustom: await send({ type: 'custom', customEvent: 'e', customExts: { n: 1n } }),
        bigCmd: await send({ type: 'cmd', action: 'a', ext: { n: 1n } }),
        bigFile: await send({ type: 'img', ext: cycle, file: { data: new Blob(['x']) } }),
        bigLoc: await send({ type: 'loc', lat: 1, lng: 2, ext: { n: 1n } }),
        latText: await send({ type: 'loc', lat: 'north', lng: 2, addr: 'x' }),
        noLng: await send({ type: 'loc', lat: 1, addr: 'x' }),
        nanLat: await send({ type: 'loc', lat: NaN, lng: 2 }),
        edit: await caught(() => conn.modifyMessage({ messageId: 'm', modifiedMessage: { type: 'txt', chatType: 'singleChat', to: 'ben', msg: 'x', ext: { n: 1n } } })),
        silentNull: await caught(() => conn.getSilentModeForConversations({ conversationList: [null] })),
        silentFive: await caught(() => conn.getSilentModeForConversations({ conversationList: 5 })),
        page0: await caught(() => conn.getJoinedGroups({ pageNum: 0, pageSize: 10 })),
        pageNaN: await caught(() => conn.getJoinedGroups({ pageNum: NaN, pageSize: 10 })),
        pageMinus: await caught(() => conn.getJoinedGroups({ pageNum: -1, pageSize: 10, needAffiliations: true })),
        members0: await caught(() => conn.listGroupMembers({ groupId: 'g', pageNum: 0, pageSize: 10 })),
        page1: await caught(() => conn.getJoinedGroups({ pageNum: 1, pageSize: 10 })),
        expiry: await caught(() => conn.subscribePresence({ usernames: ['ben'], expiry: 5 })), // 34307
        roomId: await caught(() => conn.getHistoryMessages({ targetId: 'no such room', chatType: 'chatRoom' })), // 34210
        join: await caught(() => conn.joinChatRoom({ roomId: 'errs' })),
        removeNumber: await room('removeChatRoomAttributes', { isForced: true, attributeKeys: 5 }),
        getNumbers: await room('getChatRoomAttributes', { attributeKeys: [1] }),
        setArray: await room('setChatRoomAttributes', { attributes: ['x', 'y'] }),
        setString: await room('setChatRoomAttributes', { attributes: 'ab' }),
        setNumber: await room('setChatRoomAttributes', { attributes: { k: 1 } }),
        set: await room('setChatRoomAttributes', { attributes: { 0: 'a', 1: 'b', '01': 'c' } }),
        getOne: await room('getChatRoomAttributes', { attributeKeys: '01' }),
        removeOne: await room('removeChatRoomAttributes', { isForced: true, attributeKeys: '01' }),
        left: await room('getChatRoomAttributes', {}),
      };
      await conn.leaveChatRoom({ roomId: 'errs' });
      return r;
    });
    for (const k of ['bigExt', 'cycleExt', 'bigCustom', 'bigCmd', 'bigFile', 'bigLoc', 'latText', 'noLng', 'nanLat']) {
      assert.deepEqual([bad[k].sync, bad[k].type, bad[k].fails], [undefined, -3, [-3]], `send ${k}: ${JSON.stringify(bad[k])}`);
    }
    for (const k of ['edit', 'silentNull', 'silentFive', 'page0', 'pageNaN', 'pageMinus', 'members0', 'expiry', 'roomId',
      'removeNumber', 'getNumbers', 'setArray', 'setString', 'setNumber']) {
      assert.deepEqual([bad[k].sync, bad[k].type], [undefined, -3], `${k}: ${JSON.stringify(bad[k])}`);
    }
    assert.equal(bad.page1.ok?.type, 0, 'page 1');
    assert.equal(bad.join.ok?.type, 0, 'joined errs');
    assert.deepEqual(bad.set.ok?.data.successKeys.sort(), ['0', '01', '1']);
    assert.deepEqual(bad.getOne.ok?.data, { '01': 'c' }, 'a string is one key, not a substring');
    assert.deepEqual(bad.removeOne.ok?.data, { status: 'success', errorKeys: {}, successKeys: ['01'] });
    assert.deepEqual(bad.left.ok?.data, { 0: 'a', 1: 'b' });
    // A fresh page: a password, and a token for someone else, are refused.
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(web.url + '/page.html');
    await page.waitForFunction(() => window.sdkLoaded);
    const refused = await page.evaluate(async ({ url, other }) => {
      const websdk = (await import('/easemob.js')).default;
      const conn = new websdk.connection({ appKey: 'node-test-app', url });
      const caught = async (f) => { try { await f(); return null; } catch (e) { return { type: e.type, message: e.message }; } };
      const onError = [];
      conn.addEventHandler('errors', { onError: (e) => onError.push(e.type) });
      return {
        pwd: await caught(() => conn.open({ user: 'cat', pwd: 'secret' })),
        other: await caught(() => conn.open({ user: 'cat', accessToken: other })),
        garbage: await caught(() => conn.open({ user: 'cat', accessToken: 'not-a-token' })),
        onError,
      };
    }, { url: server.url, other: server.token('dan') });
    assert.equal(refused.pwd.type, 28);
    assert.match(refused.pwd.message, /accessToken/);
    assert.equal(refused.other.type, 2);
    assert.equal(refused.garbage.type, 2);
    assert.deepEqual(refused.onError, [2], 'onError for the refused token');
    await context.close();
  });
});
