// Package codes lists the error codes that cross the wire and the JS API.
// Numbers and names are RongIMLib's web ErrorCode (shared/reference/rongimlib-pinned.md).
package codes

const (
	Success                            = 0
	Timeout                            = -1 // the web enum's name for "unknown error"
	SendFrequencyTooFast               = 20604
	RequestOverFrequency               = 20607 // a per-user limit on requests other than sends
	NotInGroup                         = 22406
	ForbiddenInGroup                   = 22408
	RecallMessage                      = 25101
	RecallMessageUserInvalid           = 25107
	FileSizeExceedLimit                = 26106
	RRSV5Unavailable                   = 26314
	RRSV5ParamLengthExceed             = 26316
	RRSV5ConversationNotSupport        = 26317
	RRSV5QueryNotSupport               = 26318
	RRSV5MessageSenderMismatch         = 26320
	RRSV5MessageReceiptNeedless        = 26321
	RRSV5MessageNotExist               = 26322
	NetChannelInvalid                  = 30001
	NetUnavailable                     = 30002
	MsgRespTimeout                     = 30003
	MsgContentExceedLimit              = 30016
	ConnAckTimeout                     = 31000
	ConnTokenIncorrect                 = 31004
	DisconnKick                        = 31010
	ConnTokenExpired                   = 31020
	ClientNotInit                      = 33001
	InvalidParameter                   = 33003
	ConnectionExist                    = 34001
	ConnectionTimeout                  = 34006
	ExpansionLimitExceeded             = 34010 // a message's expansion over 300 keys or 64 KiB (RongIMLib's EXPANSION_LIMIT_EXCEET)
	UploadFail                         = 34011
	MediaException                     = 34018
	InvalidParameterMessageExpansion   = 34220 // an expansion key or value malformed or too long, or over 20 keys in one call
	InvalidParameterMessageUID         = 34203
	InvalidParameterMessageID          = 34204
	InvalidParameterConversationType   = 34209
	InvalidParameterTargetID           = 34210
	InvalidParameterCount              = 34232
	InvalidParameterContentDisposition = 35032
	SendReadReceiptConfError           = 35056
)

// Error is an error that carries a wire code.
type Error struct {
	Code int32
	Msg  string
}

func (e *Error) Error() string {
	if e.Msg == "" {
		return "imwasm error " + itoa(e.Code)
	}
	return "imwasm error " + itoa(e.Code) + ": " + e.Msg
}

// New returns an *Error.
func New(code int32, msg string) *Error { return &Error{Code: code, Msg: msg} }

// Of extracts the code of err: Success for nil, the code of an *Error found
// with errors.As semantics (Unwrap chains), Timeout (unknown) otherwise.
func Of(err error) int32 {
	for err != nil {
		if e, ok := err.(*Error); ok {
			return e.Code
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return Timeout
		}
		err = u.Unwrap()
	}
	return Success
}

// itoa avoids strconv so this package stays tiny in the wasm build.
func itoa(n int32) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	v := int64(n)
	if neg {
		v = -v
	}
	var b [12]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
