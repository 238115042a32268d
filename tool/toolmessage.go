package tool

import "time"

// toolMessageClaims are the claims every message the tool signs for the
// platform starts with (DL-RESP-02, AP-03): iss the client_id, aud the
// platform's issuer, iat, exp, a fresh nonce, the launch's deployment_id,
// the message_type and version 1.3.0. Message payloads embed it first, so
// these claims keep their place in the encoded JSON.
type toolMessageClaims struct {
	Iss          string      `json:"iss"`
	Aud          string      `json:"aud"`
	Iat          int64       `json:"iat"`
	Exp          int64       `json:"exp"`
	Nonce        string      `json:"nonce"`
	DeploymentID string      `json:"https://purl.imsglobal.org/spec/lti/claim/deployment_id"`
	MessageType  MessageType `json:"https://purl.imsglobal.org/spec/lti/claim/message_type"`
	Version      string      `json:"https://purl.imsglobal.org/spec/lti/claim/version"`
}

// toolMessage returns the common claims of a message of type mt answering
// l: iat is backdate before now, for platforms whose clock lags the tool's,
// and exp is lifetime after now.
func (t *Tool) toolMessage(l *Launch, mt MessageType, backdate, lifetime time.Duration) toolMessageClaims {
	now := t.cfg.Now()
	return toolMessageClaims{
		Iss:          l.ClientID,
		Aud:          l.Issuer,
		Iat:          now.Add(-backdate).Unix(),
		Exp:          now.Add(lifetime).Unix(),
		Nonce:        randomToken(),
		DeploymentID: l.DeploymentID,
		MessageType:  mt,
		Version:      Version,
	}
}

// signToolMessage encodes c, a message payload, and signs it with the
// tool's active key (kid in the header). what names the message in the
// error, a [*Error] of CodeSigningFailed.
func (t *Tool) signToolMessage(c any, what string) (string, error) {
	payload, err := marshalNoEscape(c)
	if err != nil {
		return "", &Error{Code: CodeSigningFailed, Detail: "could not encode the " + what, Err: err}
	}
	jws, err := t.cfg.Keys.Sign(payload)
	if err != nil {
		return "", &Error{Code: CodeSigningFailed, Detail: "the tool's active key could not sign", Err: err}
	}
	return string(jws), nil
}
