// imwasm/easemob's typings under tsc --strict: Easemob Web SDK code as its
// docs write it (seed 002's delivery-receipt blocks), for the calls
// provided so far.
import websdk from '../easemob.js';

const WebIM = websdk;
const conn = new websdk.connection({
  appKey: "your appKey",
  delivery: true,
});

conn.addEventHandler("customEvent", {
  onReceivedMessage: function (message) {}, // 收到消息送达服务器回执。
  onDeliveredMessage: function (message) {}, // 收到消息送达客户端回执。
});

async function demo(token: string) {
  await conn.open({ user: 'alice', accessToken: token });
  const option = { type: 'txt' as const, chatType: 'singleChat' as const, to: 'bob', msg: 'hello' };
  const msg = WebIM.message.create(option);
  const res = await conn.send(msg);
  const photo = WebIM.message.create({ type: 'img', chatType: 'singleChat', to: 'bob', file: { data: new File([], 'a.png') },
    onFileUploadProgress: (e) => console.log(e.loaded / e.total), onFileUploadComplete: (r) => console.log(r.url) });
  await conn.send(photo);
  conn.addEventHandler('files', { onImageMessage: (m) => console.log(m.url, m.thumb), onFileMessage: (m) => console.log(m.filename, m.file_length) });
  console.log(res.serverMsgId, res.localMsgId, conn.isOpened());
  conn.addEventHandler('messages', {
    onTextMessage: (m) => console.log(m.msg, m.from, m.ext),
    onCustomMessage: (m) => console.log(m.customEvent, m.customExts),
    onCmdMessage: (m) => console.log(m.action),
    onDisconnected: () => console.log('closed'),
  });
  conn.removeEventHandler('messages');
  await conn.recallMessage({ mid: res.serverMsgId, to: 'bob', chatType: 'singleChat' });
  const page = await conn.getHistoryMessages({ targetId: 'bob', chatType: 'singleChat', pageSize: 20 });
  console.log(page.cursor, page.isLast, page.messages.length);
  await conn.addContact('carol', 'hi');
  await conn.acceptContactInvite('dave');
  const contacts = await conn.getContacts();
  await conn.addUsersToBlocklist({ name: ['eve'] });
  const blocked = await conn.getBlocklist();
  const added = await conn.addUsersToBlocklist({ name: 'mallory' });
  console.log(added.data?.userIds);
  const all = await conn.getAllContacts();
  const byCursor = await conn.getContactsWithCursor({ pageSize: 20, cursor: '' });
  await conn.setContactRemark({ userId: 'carol', remark: 'C' });
  console.log(all.data?.[0]?.remark, byCursor.data?.cursor);
  const subs = await conn.getSubscribedPresencelist({ pageNum: 1, pageSize: 20 });
  console.log(subs.data?.result.totalnum);
  const pinned = await conn.getServerPinnedConversations({ pageSize: 20, cursor: '' });
  const older = await conn.getConversationlist({ pageNum: 1, pageSize: 20 });
  console.log(pinned.data?.conversations[0]?.pinnedTime, older.data?.channel_infos[0]?.channel_id);
  conn.addEventHandler('net', { onReconnecting: () => console.log('reconnecting'), onOffline: () => console.log('offline'), onOnline: () => console.log('online') });
  const ack = websdk.message.create({ type: 'read', chatType: 'singleChat', to: 'bob', id: res.serverMsgId });
  await conn.send(ack);
  const userAttrs = await conn.updateUserInfo({ nickname: 'Tom', gender: 1, ext: JSON.stringify({ hobby: 'football' }) });
  await conn.updateOwnUserInfo('nickname', 'Tom');
  const infos = await conn.fetchUserInfoById(['user1', 'user2'], ['nickname', 'avatarurl']);
  console.log(userAttrs.data?.nickname, infos.data?.user1?.nickname);
  console.log(contacts.data, blocked.data);
  const presence = await conn.subscribePresence({ usernames: ['bob'], expiry: 3600 });
  console.log(presence.data?.result[0]?.status['web']);
  conn.addEventHandler('presence', { onPresenceStatusChange: (list) => console.log(list[0]?.userId) });
  await conn.unsubscribePresence({ usernames: ['bob'] });
  const g = await conn.createGroup({ data: { groupname: 'Team', desc: 'd', members: ['bob'], public: true, approval: true, allowinvites: false, inviteNeedConfirm: false, maxusers: 200 } });
  const gid = g.data!.groupid;
  conn.addEventHandler('groups', { onGroupEvent: (e) => console.log(e.operation, e.id, e.from) });
  const joined = await conn.getJoinedGroups({ pageNum: 1, pageSize: 20 });
  const info = await conn.getGroupInfo({ groupId: gid });
  const members = await conn.listGroupMembers({ groupId: gid, pageNum: 1, pageSize: 20 });
  console.log(joined.data?.[0]?.groupname, info.data?.[0]?.owner, members.data?.length);
  await conn.setAdmin({ groupId: gid, username: 'bob' });
  await conn.muteGroupMember({ groupId: gid, username: 'bob', muteDuration: 60000 });
  await conn.unmuteGroupMember({ groupId: gid, username: 'bob' });
  await conn.disableSendGroupMsg({ groupId: gid });
  await conn.enableSendGroupMsg({ groupId: gid });
  await conn.acceptGroupJoinRequest({ groupId: gid, applicant: 'carol' });
  await conn.changeGroupOwner({ groupId: gid, newOwner: 'bob' });
  await conn.leaveGroup({ groupId: gid });
  const convs = await conn.getServerConversations({ pageSize: 20, cursor: '' });
  console.log(convs.data?.conversations[0]?.unReadCount, convs.data?.cursor);
  await conn.pinConversation({ conversationId: 'bob', conversationType: 'singleChat', isPinned: true });
  await conn.setSilentModeForAll({ options: { paramType: 0, remindType: 'AT' } });
  await conn.setSilentModeForAll({ options: { paramType: 1, duration: 3600 * 1000 } });
  await conn.setSilentModeForAll({ options: { paramType: 2, startTime: { hours: 22, minutes: 30 }, endTime: { hours: 7, minutes: 0 } } });
  const silent = await conn.getSilentModeForAll();
  await conn.setSilentModeForConversation({ conversationId: 'bob', type: 'singleChat', options: { paramType: 0, remindType: 'NONE' } });
  await conn.setSilentModeForConversation({ conversationId: 'g1', type: 'groupChat', options: { paramType: 1, duration: 8 * 3600 * 1000 } });
  const convSilent = await conn.getSilentModeForConversation({ conversationId: 'bob', type: 'singleChat' });
  const many = await conn.getSilentModeForConversations({ conversationList: [{ id: 'bob', type: 'singleChat' }, { id: 'g1', type: 'groupChat' }] });
  await conn.clearRemindTypeForConversation({ conversationId: 'bob', type: 'singleChat' });
  console.log(silent.data?.type, silent.data?.ignoreDuration, silent.data?.ignoreInterval, convSilent.data?.type, many.data?.user.bob);
  await conn.deleteConversation({ channel: 'bob', chatType: 'singleChat', deleteRoam: false });
  const edited = WebIM.message.create({ type: 'txt', chatType: 'singleChat', to: 'bob', msg: 'fixed' });
  if (edited.type === 'txt') await conn.modifyMessage({ messageId: res.serverMsgId, modifiedMessage: edited });
  conn.addEventHandler('edits', { onModifiedMessage: (m) => console.log(m.modifiedInfo.operationTime) });
  // Chat rooms.
  conn.addEventHandler('rooms', {
    onChatroomEvent: (e) => {
      if (e.operation === 'muteMember') console.log(e.id, e.userId, e.muteTimestamp);
      if (e.operation === 'updateChatRoomAttributes' && e.attributes && !Array.isArray(e.attributes)) console.log(e.attributes['seat']);
    },
  });
  const joinedRoom = await conn.joinChatRoom({ roomId: 'lobby', message: 'hi' });
  console.log(joinedRoom.data?.info.memberCount, joinedRoom.data?.info.isAllMembersMuted, joinedRoom.data?.info.muteExpireTimestamp);
  await conn.send(WebIM.message.create({ type: 'txt', chatType: 'chatRoom', to: 'lobby', msg: 'hello room' }));
  const room = await conn.getChatRoomDetails({ chatRoomId: 'lobby' });
  console.log(room.data?.[0]?.affiliations_count, room.data?.[0]?.affiliations.length);
  const roomPage = await conn.getHistoryMessages({ targetId: 'lobby', chatType: 'chatRoom', pageSize: 20 });
  console.log(roomPage.messages[0]?.chatType);
  const set = await conn.setChatRoomAttributes({ chatRoomId: 'lobby', attributes: { seat: 'alice' }, autoDelete: true });
  console.log(set.data?.status, set.data?.successKeys, set.data?.errorKeys);
  await conn.setChatRoomAttribute({ chatRoomId: 'lobby', attributeKey: 'topic', attributeValue: 'music', isForced: true });
  const attrs = await conn.getChatRoomAttributes({ chatRoomId: 'lobby', attributeKeys: ['seat'] });
  console.log(attrs.data?.['seat']);
  await conn.removeChatRoomAttributes({ chatRoomId: 'lobby', attributeKeys: ['seat'] });
  await conn.removeChatRoomAttribute({ chatRoomId: 'lobby', attributeKey: 'topic', isForced: true });
  await conn.leaveChatRoom({ roomId: 'lobby' });
  console.log(websdk.statusCode.CHATROOM_NOT_JOINED, websdk.statusCode.SERVICE_NOT_ALLOW_MESSAGING_MUTE, websdk.statusCode.CHATROOM_NOT_EXIST);
  conn.close();
  console.log(websdk.statusCode.WEBIM_CONNCTION_AUTH_ERROR);
}
void demo;
