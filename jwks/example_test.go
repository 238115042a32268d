package jwks_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/ltikit/ltikit/jwks"
)

// A tool verifies the id_tokens a platform signs, with the platform's keys
// fetched from its JWKS URL once and then served from memory.
func ExampleNewCache() {
	// The platform: a key ring published at a JWKS URL.
	platformKey, err := jwks.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}
	platform, err := jwks.NewKeyRing(platformKey)
	if err != nil {
		log.Fatal(err)
	}
	lms := httptest.NewServer(platform.Handler())
	defer lms.Close()

	// The tool: one Cache per process, one KeySet per platform.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // stops the background refresh
	cache := jwks.NewCache(ctx, jwks.CacheConfig{})
	keys := cache.KeySet(lms.URL)

	idToken, err := platform.Sign([]byte(`{"sub":"42"}`))
	if err != nil {
		log.Fatal(err)
	}
	payload, err := keys.Verify(context.Background(), idToken, []string{"RS256"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(payload))

	_, err = keys.Verify(context.Background(), []byte("forged.token.value"), nil)
	fmt.Println(errors.Is(err, jwks.ErrMalformed))
	// Output:
	// {"sub":"42"}
	// true
}

// The tool signs its own messages (deep-linking responses, client
// assertions) with the active key; platforms verify them with the keys it
// publishes.
func ExampleKeyRing_Sign() {
	key, err := jwks.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}
	ring, err := jwks.NewKeyRing(key)
	if err != nil {
		log.Fatal(err)
	}
	token, err := ring.Sign([]byte(`{"iss":"tool"}`))
	if err != nil {
		log.Fatal(err)
	}

	// What a platform does with the tool's JWKS.
	published, err := jwks.NewStatic(ring.PublicKeys()...)
	if err != nil {
		log.Fatal(err)
	}
	payload, err := published.Verify(context.Background(), token, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(payload))
	// Output: {"iss":"tool"}
}

// LoadKeyDir generates the tool's first key into an empty directory and
// loads the same key on every later start.
func ExampleLoadKeyDir() {
	dir, err := os.MkdirTemp("", "ltikit-keys")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	keyDir := filepath.Join(dir, "keys")

	first, err := jwks.LoadKeyDir(keyDir) // generates keys/<kid>.pem
	if err != nil {
		log.Fatal(err)
	}
	again, err := jwks.LoadKeyDir(keyDir) // loads it
	if err != nil {
		log.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(keyDir, first.Active().ID+".pem"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(again.Active().ID == first.Active().ID, fi.Mode().Perm())
	// Output: true -rw-------
}

// A platform registered with a PEM public key instead of a JWKS URL.
func ExampleParsePublicKey() {
	key, err := jwks.GenerateKey() // stands in for the platform's key
	if err != nil {
		log.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(key.Signer.Public())
	if err != nil {
		log.Fatal(err)
	}
	configured := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))

	keys, err := jwks.ParsePublicKey(configured) // PEM, a JWK or a JWKS
	if err != nil {
		log.Fatal(err)
	}
	platform, err := jwks.NewKeyRing(key)
	if err != nil {
		log.Fatal(err)
	}
	idToken, err := platform.Sign([]byte(`{"sub":"42"}`))
	if err != nil {
		log.Fatal(err)
	}
	payload, err := keys.Verify(context.Background(), idToken, nil)
	fmt.Println(string(payload), err)

	_, err = jwks.ParsePublicKey("not a key")
	fmt.Println(err)
	// Output:
	// {"sub":"42"} <nil>
	// jwks: public key is neither PEM nor JSON
}
