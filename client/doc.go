// Package client is the imwasm SDK engine: connection, send pipeline, sync
// and events. It is platform-neutral (it never imports syscall/js): the
// browser SDK wraps it with a WebSocket Dialer and an IndexedDB Store, Go
// programs and tests use client/wsnative and client/memstore.
//
// The browser SDK's functions (docs/api.md, RongIMLib's names) map one to one
// onto the engine:
//
//	connect, disconnect                 Engine.Connect, Engine.Disconnect
//	getConnectionStatus                 Engine.Status
//	getCurrentUserId                    Engine.UserID
//	sendMessage (messageId: resend)     Engine.SendMessage (SendOptions.MessageID)
//	forwardMessage                      Engine.ForwardMessage
//	recallMessage                       Engine.RecallMessage
//	deleteMessages                      Engine.DeleteMessages
//	clearHistoryMessages                Engine.ClearHistory
//	sendTypingStatusMessage             Engine.SendTypingStatus
//	updateMessageExpansion              Engine.UpdateMessageExpansion
//	removeMessageExpansionForKey        Engine.RemoveMessageExpansionKeys
//	getHistoryMessages                  Engine.GetHistory
//	getRemoteHistoryMessages            Engine.RemoteHistory
//	getConversationList                 Engine.Conversations
//	getUnreadCount                      Engine.UnreadCount
//	getTotalUnreadCount                 Engine.TotalUnreadCount
//	clearMessagesUnreadStatus           Engine.MarkRead (seq 0)
//
// and its events onto the engine's EventKinds: MESSAGES EventMessages,
// CONNECTING/CONNECTED/DISCONNECT/SUSPEND EventStatus,
// PULL_OFFLINE_MESSAGE_FINISHED EventSyncFinished, TYPING_STATUS
// EventTyping, EXPANSION EventExpansion, CONVERSATION EventConversations.
//
// registerMessageType's flags travel on Message: a type that is not
// persisted, or is a status message, is sent with IsStatus (never stored,
// online sessions only); IsCounted decides whether it raises unread counts.
package client
