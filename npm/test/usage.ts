// Type-checked only (tsc --noEmit): code a RongIMLib user writes, against
// imwasm's declarations. Every exported name appears here.
import * as RongIMLib from '../index.js';

const { ConversationType, ErrorCode, Events, MentionedType, MessageDirection, SentStatus, ReceivedStatus } = RongIMLib;

RongIMLib.init({ appkey: 'key', navigators: ['http://127.0.0.1:8080'], sendTimeout: 10000, logLevel: 'warn' });
const conversation = { conversationType: ConversationType.PRIVATE, targetId: 'bob' };

async function main(): Promise<void> {
  const res = await RongIMLib.connect('token');
  if (res.code === ErrorCode.SUCCESS && res.data) console.log(res.data.userId);
  const status: RongIMLib.RCConnectionStatus = RongIMLib.getConnectionStatus();
  const me: string = RongIMLib.getCurrentUserId();
  console.log(status === RongIMLib.ConnectionStatus.CONNECTED, me, RongIMLib.RCConnectionStatus.DISCONNECTED);

  RongIMLib.addEventListener(Events.MESSAGES, (evt) => {
    for (const m of evt.messages) {
      const dir: RongIMLib.MessageDirection = m.messageDirection;
      console.log(m.messageUId, m.content, dir === MessageDirection.RECEIVE, m.receivedStatus === ReceivedStatus.READ);
    }
  });
  const onTyping = (evt: { status: RongIMLib.ITypingMessage[] }) => console.log(evt.status[0]?.list);
  RongIMLib.addEventListener(Events.TYPING_STATUS, onTyping);
  RongIMLib.removeEventListener(Events.TYPING_STATUS, onTyping);
  RongIMLib.onceEventListener(Events.CONNECTED, () => console.log('up'));
  RongIMLib.addEventListener(Events.DISCONNECT, (code) => console.log(code));
  RongIMLib.addEventListener(Events.EXPANSION, (evt) => console.log(evt.updatedExpansion?.expansion, evt.deletedExpansion?.deletedKeys));
  RongIMLib.addEventListener(Events.CONVERSATION, (evt) => console.log(evt.conversationList[0]?.conversation.unreadMessageCount));
  RongIMLib.removeEventListeners(Events.MESSAGES);
  RongIMLib.clearEventListeners();

  const sent = await RongIMLib.sendMessage(conversation, new RongIMLib.TextMessage({ content: 'hi' }), {
    isMentioned: true,
    mentionedInfo: { type: MentionedType.SINGAL, userIdList: ['bob'] },
    onSendBefore: (m) => console.log(m.messageId),
    canIncludeExpansion: true,
    expansion: { k: 'v' },
    directionalUserIdList: [],
    pushContent: 'push',
  });
  if (sent.code !== ErrorCode.SUCCESS && sent.data?.sentStatus === SentStatus.FAILED) {
    await RongIMLib.sendMessage(conversation, new RongIMLib.TextMessage({ content: 'hi' }), { messageId: sent.data.messageId });
  }
  const msg = sent.data!;
  await RongIMLib.sendTextMessage(conversation, { content: 'plain' });
  await RongIMLib.forwardMessage({ conversationType: ConversationType.GROUP, targetId: 'g1' }, msg);
  await RongIMLib.recallMessage(conversation, { messageUId: msg.messageUId, sentTime: msg.sentTime });
  await RongIMLib.deleteMessages(conversation, [{ messageUId: msg.messageUId, sentTime: msg.sentTime, messageDirection: MessageDirection.SEND }]);
  await RongIMLib.clearHistoryMessages(conversation, Date.now());
  await RongIMLib.sendTypingStatusMessage(conversation, RongIMLib.MessageType.TEXT);
  await RongIMLib.updateMessageExpansion({ k: 'v2' }, msg);
  await RongIMLib.removeMessageExpansionForKey(['k'], msg);
  const hist = await RongIMLib.getHistoryMessages(conversation, { timestamp: 0, count: 20, order: 0 });
  console.log(hist.data?.list.length, hist.data?.hasMore);
  await RongIMLib.getRemoteHistoryMessages(conversation, { count: 100, order: 1 });
  const list = await RongIMLib.getConversationList();
  console.log(list.data?.[0]?.latestMessage?.content);
  const unread: RongIMLib.RCResult<number> = await RongIMLib.getUnreadCount(conversation);
  const total = await RongIMLib.getTotalUnreadCount();
  console.log(unread.data, total.data);
  await RongIMLib.clearMessagesUnreadStatus(conversation);

  // Receipts: seed 000's flow and the V5 calls.
  const group = { conversationType: RongIMLib.ConversationType.GROUP, targetId: 'g' };
  RongIMLib.addEventListener(RongIMLib.Events.MESSAGE_RECEIPT_REQUEST, ({ conversation, messageUId, senderUserId }) => {
    console.log(conversation.targetId, messageUId, senderUserId);
  });
  RongIMLib.addEventListener(RongIMLib.Events.MESSAGE_RECEIPT_RESPONSE, ({ receivedUserId, messageUIdList }) => {
    console.log(receivedUserId, messageUIdList.length);
  });
  RongIMLib.addEventListener(RongIMLib.Events.MESSAGE_RECEIPT_RESPONSE_V5, (list) => console.log(list[0]?.readCount, list[0]?.identifier.targetId));
  RongIMLib.addEventListener(RongIMLib.Events.READ_RECEIPT_RECEIVED, ({ messageUId, sentTime, sendUserId }) => console.log(messageUId, sentTime, sendUserId));
  RongIMLib.addEventListener(RongIMLib.Events.SYNC_READ_STATUS, ({ targetId, timestamp }) => console.log(targetId, timestamp));
  RongIMLib.addEventListener(RongIMLib.Events.MESSAGE_DELIVERED, ({ deliveredUserId, messageUIdList, deliveredTime }) => console.log(deliveredUserId, messageUIdList, deliveredTime));
  await RongIMLib.sendReadReceiptMessage('bob', 'UID', Date.now());
  await RongIMLib.sendReadReceiptRequest('g', 'UID');
  await RongIMLib.sendReadReceiptResponseV2('g', { alice: ['UID'] });
  await RongIMLib.sendReadReceiptResponseV2('g');
  await RongIMLib.sendReadReceiptResponseV5(group, ['UID']);
  await RongIMLib.sendMessageReadAck(group, 'UID', JSON.stringify({}));
  await RongIMLib.sendConversationReadAck({ conversationType: RongIMLib.ConversationType.PRIVATE, targetId: 'bob' });
  const readers = await RongIMLib.getMessageReader('g', 'UID');
  console.log(readers.data?.totalMemberCount, readers.data?.list[0]?.readTime);
  const infos = await RongIMLib.getMessageReadReceiptInfoV5(group, ['UID']);
  console.log(infos.data?.[0]?.unreadCount);
  const page = await RongIMLib.getMessagesReadReceiptUsersByPageV5(group, 'UID', { pageCount: 10, readStatus: 1 });
  console.log(page.data?.pageToken, page.data?.users[0]?.timestamp);
  const info: RongIMLib.IReadReceiptInfo | undefined = list.data?.[0]?.latestMessage?.readReceiptInfo;
  console.log(info?.hasRespond);
  await RongIMLib.disconnect();

  // Uploads.
  const file = new File(['hello'], 'hello.txt', { type: 'text/plain' });
  const hooks: RongIMLib.IUploadHooks = {
    onProgress(p) { console.log(p); },
    onComplete(info) { console.log(info.url); },
  };
  const sentFile = await RongIMLib.sendFileMessage(conversation, { file, extra: 'x' }, hooks, { contentDisposition: 'attachment' });
  console.log(sentFile.data?.messageId);
  await RongIMLib.sendImageMessage(conversation, { file }, { onComplete: () => new RongIMLib.TextMessage({ content: 'custom' }) });
  await RongIMLib.sendGIFMessage(conversation, { file });
  await RongIMLib.sendHQVoiceMessage(conversation, { file }, undefined, { signal: new AbortController().signal });
  await RongIMLib.sendSightMessage(conversation, { file, duration: 3, thumbnail: '' });
  const up = await RongIMLib.upload({ file, onProgress: (loaded, total) => console.log(loaded / total) });
  console.log(up.data?.downloadUrl);

  RongIMLib.RongIMEmoji.init({ lang: 'zh' });
  const first: RongIMLib.IEmojiItem | undefined = RongIMLib.RongIMEmoji.list[0];
  console.log(first?.symbol, RongIMLib.RongIMEmoji.symbolToEmoji('[笑嘻嘻]'), RongIMLib.RongIMEmoji.emojiToSymbol('😀'),
    RongIMLib.RongIMEmoji.emojiToHTML('😀'), RongIMLib.RongIMEmoji.symbolToHTML('[笑嘻嘻]'));

  const classes = [
    new RongIMLib.ImageMessage({ content: '', imageUri: 'https://x/y.png' }),
    new RongIMLib.FileMessage({ name: 'a.txt', size: 1, type: 'txt', fileUrl: 'https://x/a.txt' }),
    new RongIMLib.HQVoiceMessage({ remoteUrl: 'https://x/a.aac', duration: 3 }),
    new RongIMLib.SightMessage({ sightUrl: 'https://x/a.mp4', content: '', duration: 3, size: 9, name: 'a.mp4' }),
    new RongIMLib.GIFMessage({ gifDataSize: 9, remoteUrl: 'https://x/a.gif', width: 1, height: 1 }),
    new RongIMLib.LocationMessage({ latitude: 1, longitude: 2, poi: 'here', content: '' }),
    new RongIMLib.RichContentMessage({ title: 't', content: 'c', imageUri: '', url: 'https://x' }),
    new RongIMLib.ReferenceMessage({ referMsgUserId: 'a', referMsg: {}, content: 'c', objName: 'RC:TxtMsg' }),
    new RongIMLib.InformationNotificationMessage({ message: 'm' }),
    new RongIMLib.CommandMessage({ name: 'n', data: 'd' }),
    new RongIMLib.GroupNotificationMessage({ operatorUserId: 'a', operation: 'Add', data: '', message: '' }),
    new RongIMLib.VoiceMessage({}),
    new RongIMLib.CombineMessage({}),
    new RongIMLib.CombineV2Message({ conversationType: RongIMLib.ConversationType.PRIVATE, summaryList: ['a: hi'], nameList: ['a', 'b'], msgNum: 1, msgList: [] }),
  ];
  const Poke = RongIMLib.registerMessageType<{ strength: number }>('App:Poke', false, false, [], true);
  const poke: RongIMLib.BaseMessage<{ strength: number }> = new Poke({ strength: 3 });
  console.log(classes.length, poke.isStatusMessage, new RongIMLib.BaseMessage('App:X', {}).messageType);
}

main();

// Every RongIMLib enum is there, typed, with its reverse entries where numeric.
const enums: object[] = [
  RongIMLib.AreaCode,
  RongIMLib.ChatroomEntryType,
  RongIMLib.ChatroomSyncStatusReason,
  RongIMLib.ChatroomUserChangeType,
  RongIMLib.ChrmMemBanType,
  RongIMLib.ChrmMemOperateType,
  RongIMLib.ChrmSyncStatus,
  RongIMLib.ConnectType,
  RongIMLib.ConnectionStatus,
  RongIMLib.ConversationType,
  RongIMLib.DirectionType,
  RongIMLib.ErrorCode,
  RongIMLib.Events,
  RongIMLib.FileType,
  RongIMLib.FilterRobotType,
  RongIMLib.FriendAddPermission,
  RongIMLib.FriendApplicationStatus,
  RongIMLib.FriendApplicationType,
  RongIMLib.FriendRelationType,
  RongIMLib.GroupApplicationDirection,
  RongIMLib.GroupApplicationStatus,
  RongIMLib.GroupApplicationType,
  RongIMLib.GroupInviteHandlePermission,
  RongIMLib.GroupJoinPermission,
  RongIMLib.GroupMemberInfoEditPermission,
  RongIMLib.GroupMemberRole,
  RongIMLib.GroupOperation,
  RongIMLib.GroupOperationPermission,
  RongIMLib.GroupReadReceiptVersion,
  RongIMLib.InterruptionLevel,
  RongIMLib.LogL,
  RongIMLib.LogLevel,
  RongIMLib.MentionedType,
  RongIMLib.MessageAuditType,
  RongIMLib.MessageBlockSourceType,
  RongIMLib.MessageBlockType,
  RongIMLib.MessageDirection,
  RongIMLib.MessageType,
  RongIMLib.NotificationLevel,
  RongIMLib.NotificationStatus,
  RongIMLib.OnlineStatus,
  RongIMLib.OperateStatus,
  RongIMLib.Platform,
  RongIMLib.PlatformInfo,
  RongIMLib.PushImportanceHonor,
  RongIMLib.PushNotificationQuietHoursLevel,
  RongIMLib.QueryFriendsDirectionType,
  RongIMLib.QuoteMessageStatus,
  RongIMLib.RCConnectionStatus,
  RongIMLib.ReceivedStatus,
  RongIMLib.ReferenceMessageStatus,
  RongIMLib.SentStatus,
  RongIMLib.SpeechToTextStatus,
  RongIMLib.StreamMessageResponseEventType,
  RongIMLib.SubscribeOperationType,
  RongIMLib.SubscribeType,
  RongIMLib.TranslateMode,
  RongIMLib.TranslateStatus,
  RongIMLib.TranslateStrategy,
  RongIMLib.UltraGroupChannelChangeType,
  RongIMLib.UltraGroupChannelType,
  RongIMLib.UploadMethod,
  RongIMLib.UserProfileVisibility,
  RongIMLib.UserSettingsChangedKey,
  RongIMLib.UserType,
];
const level: RongIMLib.LogLevel = RongIMLib.LogLevel.WARN;
console.log(enums.length, level, RongIMLib.ConversationType[1], RongIMLib.MessageType.RECALL_NOTIFICATION_MESSAGE);

// Local reads and deletes, the server's clock, the device id, destroy.
async function local(conversation: RongIMLib.IConversationOption) {
  const m = await RongIMLib.getMessage(1);
  const byUid = await RongIMLib.getMessage('UID');
  if (m.code === RongIMLib.ErrorCode.RC_DB_DATA_NOT_FOUND) console.log('not here', byUid.data?.messageUId);
  await RongIMLib.clearMessages(conversation);
  await RongIMLib.deleteLocalMessagesByTimestamp(conversation, RongIMLib.getServerTime(), true);
  console.log(RongIMLib.getDeviceId());
  await RongIMLib.destroy();
}
void local;

// Web Push to this device while the user has none connected.
async function webPush() {
  const r = await RongIMLib.registerWebPush({ serviceWorker: '/sw.js' });
  if (r.code === RongIMLib.ErrorCode.OPERATION_NOT_SUPPORT) console.log('no push here', r.msg);
  else console.log(r.data?.endpoint);
  await RongIMLib.registerWebPush({ whenHidden: true }); // pushed while this tab is hidden too
  await RongIMLib.unregisterWebPush();
}
void webPush;

// A newer token before the one connected with expires.
declare function fetchTokenFromMyBackend(): Promise<string>;
RongIMLib.addEventListener(RongIMLib.Events.TOKEN_WILL_EXPIRE, async (t: RongIMLib.ITokenInfo) => {
  console.log('expires at', t.expiresAt);
  const r = await RongIMLib.renewToken(await fetchTokenFromMyBackend());
  if (r.code === 0) console.log('now until', r.data?.expiresAt);
});

// Pins and do-not-disturb.
async function settings(conversation: RongIMLib.IConversationOption) {
  await RongIMLib.setConversationToTop(conversation, true);
  await RongIMLib.batchSetConversationToTop([conversation], false);
  await RongIMLib.setConversationNotificationLevel(conversation, RongIMLib.NotificationLevel.NOT_MESSAGE_NOTIFICATION);
  await RongIMLib.batchSetConversationNotificationLevel([conversation], RongIMLib.NotificationLevel.ALL_MESSAGE);
  await RongIMLib.setConversationNotificationStatus(conversation, RongIMLib.NotificationStatus.CLOSE);
  const level = await RongIMLib.getConversationNotificationLevel(conversation);
  const status = await RongIMLib.getConversationNotificationStatus(conversation);
  const top = await RongIMLib.getTopConversationList([RongIMLib.ConversationType.PRIVATE]);
  const blocked = await RongIMLib.getBlockedConversationList();
  console.log(level.data, status.data, top.data?.[0]?.isTop, blocked.data?.[0]?.operationTime);
}
void settings;

// Groups.
async function groups() {
  const created = await RongIMLib.createGroup({ groupId: 'team', groupName: 'Team', joinPermission: RongIMLib.GroupJoinPermission.OWNER_VERIFY }, ['bob']);
  console.log(created.data?.processCode);
  await RongIMLib.updateGroupInfo({ groupId: 'team', notice: 'hello', removeMemberPermission: RongIMLib.GroupOperationPermission.OWNER_OR_MANAGER });
  const infos = await RongIMLib.getGroupsInfo(['team']);
  const mine = await RongIMLib.getJoinedGroups(['team']);
  console.log(infos.data?.[0]?.groupName, mine.data?.[0]?.role);
  const joined = await RongIMLib.joinGroup('team');
  if (joined.data?.processCode === RongIMLib.ErrorCode.RC_GROUP_JOIN_GROUP_NEED_MANAGER_ACCEPT) {
    const apps = await RongIMLib.getGroupApplications({ count: 20 });
    const first = apps.data?.data[0];
    if (first) {
      await RongIMLib.acceptGroupApplication(first.groupId, first.joinMemberInfo.userId, first.inviterInfo?.userId);
      await RongIMLib.refuseGroupApplication(first.groupId, first.joinMemberInfo.userId, undefined, 'full');
    }
  }
  const invited = await RongIMLib.inviteUsersToGroup('team', ['carol']);
  console.log(invited.data?.processCode);
  await RongIMLib.acceptGroupInvite('team', 'alice');
  await RongIMLib.refuseGroupInvite('team', 'alice', 'busy');
  await RongIMLib.addGroupManagers('team', ['bob']);
  await RongIMLib.removeGroupManagers('team', ['bob']);
  const page = await RongIMLib.getGroupMembersByRole('team', RongIMLib.GroupMemberRole.UNDEF, { count: 50, pageToken: '' });
  const some = await RongIMLib.getGroupMembers('team', ['bob']);
  const found = await RongIMLib.searchGroupMembers('team', 'bo', { count: 20 });
  console.log(page.data?.totalCount, some.data?.[0]?.nickname, found.data?.pageToken);
  await RongIMLib.setGroupMemberInfo('team', 'bob', 'Bobby', 'extra');
  await RongIMLib.setGroupRemark('team', 'work');
  await RongIMLib.addGroupFollows('team', ['bob']);
  const follows = await RongIMLib.getGroupFollows('team');
  await RongIMLib.removeGroupFollows('team', ['bob']);
  const byRole = await RongIMLib.getJoinedGroupsByRole({ count: 20 }, RongIMLib.GroupMemberRole.OWNER);
  const named = await RongIMLib.searchJoinedGroups('Te', { count: 20 });
  console.log(follows.data?.[0]?.time, byRole.data?.data.length, named.data?.data[0]?.membersCount);
  await RongIMLib.muteGroupMembers('team', ['carol'], 60000);
  await RongIMLib.muteAllGroupMembers('team', false);
  RongIMLib.addEventListener(RongIMLib.Events.GROUP_MUTE, (e) => console.log(e.memberInfos[0]?.mutedUntil, e.muteAll));
  await RongIMLib.kickGroupMembers('team', ['carol'], { removeMuteStatus: true, removeWhiteList: true, removeFollow: true });
  await RongIMLib.transferGroupOwner('team', 'bob', true);
  await RongIMLib.quitGroup('team');
  await RongIMLib.dismissGroup('team');
  RongIMLib.addEventListener(RongIMLib.Events.GROUP_OPERATION, (e) => console.log(e.operation, e.memberInfos?.length));
  RongIMLib.addEventListener(RongIMLib.Events.GROUP_INFO_CHANGED, (e) => console.log(e.changedGroupInfo.groupName));
  RongIMLib.addEventListener(RongIMLib.Events.GROUP_MEMBER_INFO_CHANGED, (e) => console.log(e.memberInfo.nickname));
  RongIMLib.addEventListener(RongIMLib.Events.GROUP_APPLICATION_EVENT, (e) => console.log(e.status, e.direction));
  RongIMLib.addEventListener(RongIMLib.Events.GROUP_REMARK_CHANGED_SYNC, (e) => console.log(e.groupRemark));
  RongIMLib.addEventListener(RongIMLib.Events.GROUP_FOLLOWS_CHANGED_SYNC, (e) => console.log(e.userIds));
}
void groups;

// Chat rooms.
async function chatrooms() {
  const joined = await RongIMLib.joinExistChatRoom('live', { count: 10 });
  console.log(joined.data?.memberCount, joined.data?.isCurrentChatroomBanned);
  await RongIMLib.joinChatRoom('live2', { count: -1 });
  const room = { conversationType: RongIMLib.ConversationType.CHATROOM, targetId: 'live' };
  await RongIMLib.sendMessage(room, new RongIMLib.TextMessage({ content: 'hi' }));
  const info = await RongIMLib.getChatRoomInfo('live', { count: 10, order: 2 });
  console.log(info.data?.userCount, info.data?.userInfos[0]?.id);
  await RongIMLib.setChatRoomEntry('live', { key: 'topic', value: 'news', isSendNotification: true, isAutoDelete: true });
  await RongIMLib.forceSetChatRoomEntry('live', { key: 'topic', value: 'sports' });
  await RongIMLib.setChatRoomEntries('live', { entries: [{ key: 'a', value: '1' }], isForce: true });
  const one = await RongIMLib.getChatRoomEntry('live', 'topic');
  const all = await RongIMLib.getAllChatRoomEntries('live');
  console.log(one.data?.length, all.data?.a);
  await RongIMLib.removeChatRoomEntry('live', { key: 'topic' });
  await RongIMLib.forceRemoveChatRoomEntry('live', { key: 'a', notificationExtra: 'x' });
  await RongIMLib.removeChatRoomEntries('live', { entries: ['a'] });
  const hist = await RongIMLib.getChatroomHistoryMessages('live', { count: 20, order: 0, timestamp: 0 });
  console.log(hist.data?.list.length, hist.data?.hasMore);
  RongIMLib.addEventListener(RongIMLib.Events.CHATROOM, (e) => {
    console.log(e.updatedEntries?.[0]?.type === RongIMLib.ChatroomEntryType.DELETE, e.chatroomDestroyed, e.chatroomNotifyBan?.banType, e.rejoinedRoom?.chatroomId);
  });
  await RongIMLib.quitChatRoom('live');
}
void chatrooms;

// Ultra groups.
async function ultraGroups() {
  const news = { conversationType: RongIMLib.ConversationType.ULTRA_GROUP, targetId: 'town', channelId: 'news' };
  const sent = await RongIMLib.sendMessage(news, new RongIMLib.TextMessage({ content: 'hi' }), { canIncludeExpansion: true });
  const list = await RongIMLib.getUltraGroupList({ targetId: 'town', channelType: RongIMLib.UltraGroupChannelType.PUBLIC });
  console.log(list.data?.[0]?.channelType, list.data?.[0]?.unreadMentionedMeCount);
  const blocked = await RongIMLib.getBlockUltraGroupList();
  console.log(blocked.data?.length);
  await RongIMLib.sendUltraGroupTypingStatus(news);
  const byUid = await RongIMLib.getUltraGroupMessageListByMessageUId(news, [{ messageUId: 'X' }]);
  console.log(byUid.data?.X?.content);
  if (sent.data) {
    await RongIMLib.updateExpansionForUltraGroupMessage({ k: 'v' }, sent.data);
    await RongIMLib.removeExpansionForUltraGroupMessage(['k'], sent.data);
    await RongIMLib.removeAllExpansionForUltraGroupMessage(sent.data);
  }
  const n = await RongIMLib.getUltraGroupUnreadCountByTargetId('town', [RongIMLib.NotificationLevel.ALL_MESSAGE]);
  const m = await RongIMLib.getUltraGroupUnreadMentionedCountByTargetId('town');
  const all = await RongIMLib.getAllUltraGroupUnreadCount();
  const allM = await RongIMLib.getAllUltraGroupUnreadMentionedCount();
  console.log(n.data, m.data, all.data, allM.data);
  await RongIMLib.setUltraGroupDefaultNotificationLevel({ targetId: 'town' }, RongIMLib.NotificationLevel.AT_MESSAGE_NOTIFICATION);
  const level = await RongIMLib.getUltraGroupDefaultNotificationLevel({ targetId: 'town', channelId: 'news' });
  console.log(level.data === RongIMLib.NotificationLevel.NOT_SET);
  const ats = await RongIMLib.getUltraGroupUnreadMentionedMessages({ targetId: 'town', channelId: 'news', sentTime: 0, count: 10 });
  console.log(ats.data?.[0]?.messageUId, ats.data?.[0]?.mentionedType);
  const first = await RongIMLib.getUltraGroupFirstUnreadMessageTimestamp({ targetId: 'town', channelId: 'news' });
  console.log(first.data?.sentTime);
  const info = await RongIMLib.getUltraGroupUnreadInfoList(['town']);
  console.log(info.data?.[0]?.mentionedMeCount, info.data?.[0]?.notificationLevel);
  RongIMLib.addEventListener(RongIMLib.Events.ULTRA_GROUP_ENABLE, (l) => console.log(l.length));
  RongIMLib.addEventListener(RongIMLib.Events.ULTRA_GROUP_MESSAGE_RECALLED, (l) => console.log(l[0]?.messageUId));
  RongIMLib.addEventListener(RongIMLib.Events.ULTRA_GROUP_MESSAGE_EXPANSION_UPDATED, (l) => console.log(l[0]?.expansion));
  RongIMLib.addEventListener(RongIMLib.Events.ULTRA_GROUP_CHANNEL_DELETE, (l) => console.log(l[0]?.deleteTime));
  RongIMLib.addEventListener(RongIMLib.Events.ULTRA_GROUP_CHANNEL_TYPE_CHANGE, (l) => console.log(l[0]?.changeType === RongIMLib.UltraGroupChannelChangeType.PUBLIC_TO_PRIVATE));
  RongIMLib.addEventListener(RongIMLib.Events.ULTRA_GROUP_CHANNEL_USER_KICKED, (l) => console.log(l[0]?.userId));
}
void ultraGroups;

// People.
async function people() {
  const fail = await RongIMLib.updateMyUserProfile({ name: 'Alice', portraitUri: 'https://x/a.png', gender: 2, extraProfile: { k: 'v' } });
  console.log(fail.data?.errorKeys);
  await RongIMLib.updateMyUserProfile({ extraProfile: { k: '' } }, { mergeExtraProfile: true });
  const some = await RongIMLib.getUserProfiles(['bob']);
  const mine = await RongIMLib.getMyUserProfile();
  await RongIMLib.updateMyUserProfileVisibility(RongIMLib.UserProfileVisibility.FriendVisible);
  const vis = await RongIMLib.getMyUserProfileVisibility();
  const found = await RongIMLib.searchUserProfileByUniqueId('alice-1');
  console.log(some.data?.[0]?.name, mine.data?.email, vis.data, found.data?.userId);
  const added = await RongIMLib.addFriend('bob', RongIMLib.DirectionType.BOTH, 'hi');
  console.log(added.data?.processCode);
  await RongIMLib.acceptFriendApplication('carol');
  await RongIMLib.refuseFriendApplication('dave');
  await RongIMLib.setFriendInfo('bob', 'Bobby', { tag: 'work' });
  const rel = await RongIMLib.checkFriends(['bob'], RongIMLib.DirectionType.BOTH);
  const list = await RongIMLib.getFriends(RongIMLib.QueryFriendsDirectionType.BOTH, { count: 50 });
  const apps = await RongIMLib.getFriendApplications({ count: 20 });
  const info = await RongIMLib.getFriendsInfo(['bob']);
  const search = await RongIMLib.searchFriendsInfo('bob');
  console.log(rel.data?.[0]?.relationType, list.data?.totalCount, apps.data?.data[0]?.applicationStatus, info.data?.[0]?.remark, search.data?.length);
  await RongIMLib.setFriendAddPermission(RongIMLib.FriendAddPermission.NEED_VERIFY);
  const perm = await RongIMLib.getFriendAddPermission();
  const quiet: RongIMLib.INotificationQuietHoursSetting = { startTime: '22:00:00', spanMinutes: 480, timezone: 'Asia/Shanghai',
    level: RongIMLib.PushNotificationQuietHoursLevel.PUSH_NOTIFICATION_QUIET_HOURS_LEVEL_MENTION_MESSAGE };
  await RongIMLib.setNotificationQuietHoursWithSetting(quiet);
  const quietNow = await RongIMLib.getNotificationQuietHoursSetting();
  console.log(quietNow.data?.startTime, quietNow.data?.spanMinutes, quietNow.data?.level);
  await RongIMLib.removeNotificationQuietHoursSetting();
  const dnd = await RongIMLib.setDoNotDisturb(2 * 3600 * 1000);
  const dndNow = await RongIMLib.getDoNotDisturb();
  await RongIMLib.setDoNotDisturb(8 * 3600 * 1000, { conversationType: RongIMLib.ConversationType.GROUP, targetId: 'g1' });
  const dndGroup = await RongIMLib.getDoNotDisturb({ conversationType: RongIMLib.ConversationType.GROUP, targetId: 'g1' });
  console.log(dnd.data?.until, dndNow.data?.until, dndGroup.data?.until);
  await RongIMLib.deleteFriends(['bob'], RongIMLib.DirectionType.BOTH);
  await RongIMLib.addToBlacklist('eve');
  const black = await RongIMLib.getBlacklist();
  const blocked = await RongIMLib.getBlacklistStatus('eve');
  await RongIMLib.removeFromBlacklist('eve');
  console.log(perm.data, black.data?.length, blocked.data);
  const sub = await RongIMLib.subscribeUserStatus(['bob'], RongIMLib.SubscribeType.ONLINE_STATUS, 3600);
  const subs = await RongIMLib.getSubscribeUserList(RongIMLib.SubscribeType.ONLINE_STATUS, 20, 0);
  const st = await RongIMLib.getSubscribeUserStatus(RongIMLib.SubscribeType.ONLINE_STATUS, ['bob']);
  const online = await RongIMLib.getSubscribeUsersOnlineStatus(['bob']);
  await RongIMLib.unSubscribeUserStatus(['bob'], RongIMLib.SubscribeType.ONLINE_STATUS);
  console.log(sub.data, subs.data?.[0]?.details?.[0]?.eventValue, st.data?.[0]?.expiry, online.data?.[0]?.isOnline);
  RongIMLib.addEventListener(RongIMLib.Events.SUBSCRIBED_USER_STATUS_CHANGE, (list) => console.log(list[0]?.userId));
  RongIMLib.addEventListener(RongIMLib.Events.SUBSCRIBED_RELATION_CHANGE, (list) => console.log(list[0]?.operationType));
  RongIMLib.addEventListener(RongIMLib.Events.OWN_USER_PROFILE_CHANGED, (p) => console.log(p.name));
  RongIMLib.addEventListener(RongIMLib.Events.FRIEND_ADDED, (e) => console.log(e.userId));
  RongIMLib.addEventListener(RongIMLib.Events.FRIEND_DELETE, (e) => console.log(e.userIds));
  RongIMLib.addEventListener(RongIMLib.Events.FRIEND_APPLICATION_STATUS_CHANGED, (e) => console.log(e.applicationStatus));
  RongIMLib.addEventListener(RongIMLib.Events.FRIEND_CLEARED, (t) => console.log(t));
  RongIMLib.addEventListener(RongIMLib.Events.FRIEND_INFO_CHANGED_SYNC, (e) => console.log(e.remark));
}
void people;

// Tags.
async function tags(conversation: RongIMLib.IConversationOption) {
  const tag: RongIMLib.ITagParam = { tagId: 'work', tagName: 'Work' };
  await RongIMLib.addTag(tag);
  await RongIMLib.updateTag({ ...tag, tagName: 'Job' });
  await RongIMLib.addConversationsToTag(tag.tagId, [conversation]);
  await RongIMLib.setConversationToTopInTag(tag.tagId, conversation, true);
  const all = await RongIMLib.getTags();
  const mine = await RongIMLib.getTagsFromConversation(conversation);
  const page = await RongIMLib.getConversationsFromTagByPage(tag.tagId, 20, 0);
  const unread = await RongIMLib.getUnreadCountByTag(tag.tagId, false);
  await RongIMLib.removeConversationsFromTag(tag.tagId, [conversation]);
  await RongIMLib.removeTagFromConversations(tag.tagId, [conversation]);
  await RongIMLib.removeTagsFromConversation(conversation, [tag.tagId]);
  await RongIMLib.removeTag(tag.tagId);
  RongIMLib.addEventListener(RongIMLib.Events.TAG, () => console.log('tags changed'));
  console.log(all.data?.[0]?.conversationCount, mine.data?.[0]?.isTop, page.data?.[0]?.isTopInTag, unread.data);
}
void tags;

// The newer conversation calls.
async function newer(conversation: RongIMLib.IConversationOption) {
  const id: RongIMLib.IConversationIdentifier = { conversationType: conversation.conversationType, targetId: conversation.targetId };
  await RongIMLib.markRemoteConversationAsRead(id);
  await RongIMLib.clearRealtimeConUnreadCount(id);
  await RongIMLib.clearUnreadCountByTimestamp(id, Date.now());
  const total = await RongIMLib.getRealtimeConTotalUnreadCount();
  const page = await RongIMLib.getRealtimeConversations({ count: 20, order: 0 });
  const counts = await RongIMLib.getRealtimeConUnreadCounts([id]);
  await RongIMLib.removeRealtimeConversations([id]);
  const PRIVATE = RongIMLib.ConversationType.PRIVATE;
  const byLevel = await RongIMLib.getTotalUnreadCountByLevels([PRIVATE], [RongIMLib.NotificationLevel.NOT_SET]);
  const mentionsByLevel = await RongIMLib.getTotalUnreadMentionedCountByLevels([PRIVATE], [RongIMLib.NotificationLevel.NOT_SET]);
  const mentionMe = await RongIMLib.getUnreadMentionMeConversationList({ timestamp: 0, count: 20, conversationTypes: [PRIVATE] });
  const mentioned = await RongIMLib.getUnreadMentionedMessages(conversation);
  await RongIMLib.batchDeleteConversations({ identifiers: [conversation], deleteRemotely: true, deleteMessages: false });
  await RongIMLib.setConversationTypeNotificationLevel(PRIVATE, RongIMLib.NotificationLevel.NOT_MESSAGE_NOTIFICATION);
  const typeLevel = await RongIMLib.getConversationTypeNotificationLevel(PRIVATE);
  const loader = await RongIMLib.createConversationListLoader({ tagFilter: { tagIds: ['work'], topPriority: true } });
  const first = await loader.data?.load(20);
  console.log(total.data, page.data?.length, counts.data?.[0]?.unreadCount, byLevel.data, mentionsByLevel.data,
    mentionMe.data?.length, mentioned.data?.length, typeLevel.data, first?.data?.length, loader.data?.hasMore, loader.data?.isLoading);
}
void newer;

// Upload tasks and RongCloud's storage calls.
async function uploadTasks(file: File) {
  const task = await RongIMLib.createUploadTask({ file, fileType: RongIMLib.FileType.FILE });
  const r = await task.data?.awaitResult();
  if (task.data) await RongIMLib.stopUploadTask(task.data.id);
  const auth = await RongIMLib.getFileToken(RongIMLib.FileType.FILE);
  const url = await RongIMLib.getFileUrl(RongIMLib.FileType.FILE, r?.data?.uniqueName ?? '');
  const dl = await RongIMLib.getDownloadAuth(url.data?.downloadUrl ?? '');
  const direct = new RongIMLib.UploadTask({ file });
  direct.abort();
  console.log(auth.data?.token, dl.data?.deadline, (await direct.awaitResult()).code);
}
void uploadTasks;

// Editing.
async function edit(message: RongIMLib.IAReceivedMessage) {
  const conversation = { conversationType: message.conversationType, targetId: message.targetId };
  await RongIMLib.modifyMessageWithParams({ messageUId: message.messageUId, messageContent: { content: 'edited' }, conversation });
  await RongIMLib.modifyMessage({ content: 'edited again' }, message);
  await RongIMLib.refreshReferenceMessageWithParams({
    messageUIds: ['quote-uid'], conversationIdentifier: conversation, messageInfoMap: { 'quote-uid': message.messageUId },
    remoteMessageBlock: (results) => console.log(results[0]?.message?.content), localMessageBlock: () => {},
  });
  await RongIMLib.setMessageReceivedStatus(message.messageId, RongIMLib.ReceivedStatus.READ | RongIMLib.ReceivedStatus.LISTENED);
  RongIMLib.addEventListener(RongIMLib.Events.MESSAGE_MODIFIED, (list) => console.log(list[0]?.modifyInfo?.timestamp));
  RongIMLib.addEventListener(RongIMLib.Events.MESSAGE_MODIFIED_SYNC_COMPLETED, () => console.log('edits synced'));
}
void edit;

// More receipt calls, and the app's settings.
async function moreReceipts(conversation: RongIMLib.IConversationOption, messageUId: string) {
  const byUsers = await RongIMLib.getMessagesReadReceiptByUsersV5(conversation, messageUId, ['bob']);
  const infos = await RongIMLib.getMessageReadReceiptInfoV5ByIdentifiers([{ identifier: conversation, messageUId }]);
  await RongIMLib.sendReadReceiptResponse(conversation.targetId, [messageUId]);
  const found = await RongIMLib.searchMessages(conversation, 'hello', 0, 20);
  const convs = await RongIMLib.searchConversationByContent('hello', [RongIMLib.ConversationType.PRIVATE], [RongIMLib.MessageType.TEXT]);
  console.log(found.data?.totalMatched, found.data?.messages[0]?.messageUId, convs.data?.[0]?.targetId);
  const settings = RongIMLib.getAppSettings();
  console.log(byUsers.data?.users[0]?.timestamp, infos.data?.[0]?.readCount, settings?.messageModifiableMinutes);
}
void moreReceipts;

// Drafts.
async function drafts(conversation: RongIMLib.IConversationOption) {
  await RongIMLib.saveTextMessageDraft(conversation, 'half');
  const d = await RongIMLib.getTextMessageDraft(conversation);
  await RongIMLib.clearTextMessageDraft(conversation);
  console.log(d.data?.length);
}
void drafts;

// The list by pages, one conversation, filtered counts.
async function lists(conversation: RongIMLib.IConversationOption) {
  const first = await RongIMLib.getConversationList({ count: 20 });
  const next = await RongIMLib.getConversationListByTimestamp({ startTime: first.data?.at(-1)?.latestMessage?.sentTime ?? 0, count: 20, topPriority: true });
  const all = await RongIMLib.getAllConversationList();
  const one = await RongIMLib.getConversation(conversation);
  const unread = await RongIMLib.getUnreadConversationList([RongIMLib.ConversationType.GROUP]);
  const total = await RongIMLib.getTotalUnreadCount(true, [RongIMLib.ConversationType.PRIVATE]);
  console.log(next.data?.length, all.data?.length, one.data?.draft, unread.data?.length, total.data);
}
void lists;

// Removing conversations from the list.
async function removal(conversation: RongIMLib.IConversationOption) {
  await RongIMLib.removeConversation(conversation);
  await RongIMLib.batchRemoveConversation([conversation]);
}
void removal;

// Unread details.
async function unreadDetails(conversation: RongIMLib.IConversationOption) {
  const first = await RongIMLib.getFirstUnreadMessage(conversation);
  const info = await RongIMLib.getFirstUnreadMessageInfo(conversation);
  const mine = await RongIMLib.getUnreadMentionedCount(conversation);
  const all = await RongIMLib.getAllUnreadMentionedCount();
  await RongIMLib.clearAllMessagesUnreadStatus();
  console.log(first.data?.messageUId, info.data?.sentTime, mine.data, all.data);
}
void unreadDetails;

// Read up to a time on all this user's devices.
async function syncRead(conversation: RongIMLib.IConversationOption) {
  await RongIMLib.sendSyncReadStatusMessage(conversation, RongIMLib.getServerTime());
}
void syncRead;

// Messages by server id, and clearing several histories.
async function byUIDs(conversation: RongIMLib.IConversationOption) {
  const r = await RongIMLib.getMessagesByUIds({ conversationIdentifier: conversation, messageUIds: ['UID'] });
  await RongIMLib.batchClearRemoteHistoryMessages([{ ...conversation, timestamp: 1 }], true);
  console.log(r.data?.[0]?.code, r.data?.[0]?.message?.content);
}
void byUIDs;
