package outbox

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"testing"
)

// FuzzDecodeLine feeds the FileStore's record decoder arbitrary lines: it
// never panics, and whatever it accepts encodes back to a line it decodes
// to the same record.
func FuzzDecodeLine(f *testing.F) {
	for _, key := range []string{"a", "0123456789abcdef0123456789abcdef"} {
		line, err := encodeLine(key, testRecord(key))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(bytes.TrimSuffix(line, []byte{'\n'}))
		f.Add(line[:len(line)/2])
		deleted, _ := encodeLine(key, nil)
		f.Add(bytes.TrimSuffix(deleted, []byte{'\n'}))
	}
	f.Add([]byte(`00000000 {"key":"a","record":{"key":"a","state":"pending","delivery":{"score":null}}}`))
	f.Add([]byte(`xxxxxxxx {}`))
	line, _ := encodeLine("k", testRecord("k"))
	f.Add(line[9 : len(line)-1]) // the JSON alone
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, line []byte) {
		checkRoundTrip(t, line)
		// The same bytes as the JSON of a line with a valid checksum, so
		// that mutations reach the record decoder.
		checkRoundTrip(t, append(fmt.Appendf(nil, "%08x ", crc32.Checksum(line, crcTable)), line...))
	})
}

// checkRoundTrip decodes line and, if it is accepted, checks that it
// encodes back to a line that decodes to the same record.
func checkRoundTrip(t *testing.T, line []byte) {
	key, r, err := decodeLine(line)
	if err != nil {
		return
	}
	again, err := encodeLine(key, r)
	if err != nil {
		t.Fatalf("accepted %q but cannot encode it: %v", line, err)
	}
	key2, r2, err := decodeLine(bytes.TrimSuffix(again, []byte{'\n'}))
	if err != nil {
		t.Fatalf("re-encoded line %q does not decode: %v", again, err)
	}
	third, _ := encodeLine(key2, r2)
	if key2 != key || !bytes.Equal(third, again) {
		t.Fatalf("round trip changed the record:\n%s\n%s", again, third)
	}
}
