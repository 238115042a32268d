package outbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"strconv"
	"time"
)

// The FileStore's log is JSON lines, each guarded by a checksum:
//
//	<crc> <json>\n
//
// where json is a logEntry and crc its CRC-32 (Castagnoli) in 8 lower-case
// hex digits. The last line for a key is the record's current state.
// Leases are never written: they do not outlive the process.

// maxRecordSize bounds one encoded record (a score's comment is free text).
const maxRecordSize = 1 << 20

// logEntry is one log line's JSON.
type logEntry struct {
	Key    string  `json:"key"`
	Record *Record `json:"record"` // null: the record was deleted
}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// encodeLine returns the log line recording r (nil: deleted) under key,
// newline included.
func encodeLine(key string, r *Record) ([]byte, error) {
	if r != nil {
		c := *r
		c.Lease, c.LeaseUntil = "", time.Time{}
		r = &c
	}
	js, err := json.Marshal(logEntry{Key: key, Record: r})
	if err != nil {
		return nil, fmt.Errorf("outbox: store: encode record %q: %w", key, err)
	}
	if len(js) > maxRecordSize {
		return nil, fmt.Errorf("outbox: store: record %q is %d bytes, more than %d", key, len(js), maxRecordSize)
	}
	line := make([]byte, 0, len(js)+10)
	line = fmt.Appendf(line, "%08x ", crc32.Checksum(js, crcTable))
	line = append(line, js...)
	return append(line, '\n'), nil
}

// errBadLine is the cause of every line decodeLine refuses.
var errBadLine = errors.New("not a record line")

// decodeLine decodes one log line, without its newline: the key and the
// record, nil when the line records a deletion. It never panics; a line
// that is torn, altered or not of this format is an error wrapping
// errBadLine.
func decodeLine(line []byte) (string, *Record, error) {
	if len(line) < 10 || line[8] != ' ' || len(line)-9 > maxRecordSize {
		return "", nil, fmt.Errorf("%w: no checksum, or too long", errBadLine)
	}
	sum, err := strconv.ParseUint(string(line[:8]), 16, 32)
	js := line[9:]
	if err != nil || uint32(sum) != crc32.Checksum(js, crcTable) {
		return "", nil, fmt.Errorf("%w: checksum mismatch", errBadLine)
	}
	var e logEntry
	if err := json.Unmarshal(js, &e); err != nil {
		return "", nil, fmt.Errorf("%w: %v", errBadLine, err)
	}
	if e.Key == "" {
		return "", nil, fmt.Errorf("%w: no key", errBadLine)
	}
	if err := check(e.Key, e.Record); err != nil {
		return "", nil, fmt.Errorf("%w: %v", errBadLine, err)
	}
	return e.Key, e.Record, nil
}
