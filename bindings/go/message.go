package tether

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// CreateMessage builds the specification's message envelope,
// {"type":typ,"payload":payload,"id":id,"timestamp":<ms since the epoch>}. payload is encoded
// with encoding/json (nil gives null); an empty id is left out.
func CreateMessage(typ string, payload any, id string) ([]byte, error) {
	var payloadJSON *string
	if payload != nil {
		b, err := json.Marshal(payload)
		if err != nil {
			return nil, err
		}
		s := string(b)
		payloadJSON = &s
	}
	var idp *string
	if id != "" {
		idp = &id
	}
	out, err := messageCreate(typ, payloadJSON, idp)
	if err != nil {
		return nil, err
	}
	return []byte(out), nil
}

// Envelope is a received message read as the specification's envelope; see ParseMessage.
type Envelope struct {
	Type      string          // the "type" field; "" when absent
	Payload   json.RawMessage // the "payload" field, or the whole message when it has none
	ID        string          // the "id" field (a number is given in its JSON text); "" when absent
	Timestamp int64           // the "timestamp" field in ms since the epoch; 0 when absent
}

// ParseMessage reads a received message as an envelope. A JSON object keeps its fields; any other
// JSON value, or text that is not JSON, becomes the payload (text as a JSON string).
func ParseMessage(data []byte) (Envelope, error) {
	out, err := messageParse(data)
	if err != nil {
		return Envelope{}, err
	}
	var raw struct {
		Type      json.RawMessage `json:"type"`
		Payload   json.RawMessage `json:"payload"`
		ID        json.RawMessage `json:"id"`
		Timestamp json.RawMessage `json:"timestamp"`
	}
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		return Envelope{}, &Error{Status: StatusInternal, Message: "parse message: " + err.Error()}
	}
	env := Envelope{Type: scalarText(raw.Type), Payload: raw.Payload, ID: scalarText(raw.ID)}
	if ts := scalarText(raw.Timestamp); ts != "" {
		if n, err := strconv.ParseInt(ts, 10, 64); err == nil {
			env.Timestamp = n
		} else if f, err := strconv.ParseFloat(ts, 64); err == nil {
			env.Timestamp = int64(f)
		}
	}
	return env, nil
}

// scalarText gives a JSON string's value, or any other JSON value's text; "" for null.
func scalarText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}
