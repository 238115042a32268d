// Package jwks verifies the platform's signed tokens and manages the tool's
// own signing keys, for LTI 1.3.
//
// Platform keys are a [KeySet]: [Static] for keys configured by hand
// ([NewStatic], [ParsePublicKey]) or a remote set from a [Cache]
// ([Cache.KeySet]) that fetches a platform's JWKS URL once, keeps the keys
// in memory, refreshes them in the background and refetches once, shared
// by all waiters and rate-limited, when a token names an unknown kid.
// Verification pins algorithms (RS256 unless told otherwise; never none or
// HS*) and requires the algorithm to fit the key's type.
//
// The tool's keys are a [KeyRing]: one active key that signs ([KeyRing.Sign])
// and other published keys, served by [KeyRing.Handler] as a JWKS
// document. [LoadKeyDir] keeps them in a directory of PEM files and
// generates the first key.
//
// Every type here is safe for concurrent use. Errors wrap the sentinels
// [ErrMalformed], [ErrNoKID], [ErrUnknownKID], [ErrAlgorithm],
// [ErrSignature] and [ErrFetch]; compare them with [errors.Is].
//
// A complete program that publishes its keys and verifies tokens from a
// platform:
//
//	package main
//
//	import (
//		"context"
//		"log"
//		"net/http"
//
//		"github.com/ltikit/ltikit/jwks"
//	)
//
//	func main() {
//		ring, err := jwks.LoadKeyDir("keys") // generates keys/<kid>.pem on first run
//		if err != nil {
//			log.Fatal(err)
//		}
//		cache := jwks.NewCache(context.Background(), jwks.CacheConfig{})
//		platform := cache.KeySet("https://lms.example.edu/.well-known/jwks.json")
//
//		http.Handle("/.well-known/jwks.json", ring.Handler())
//		http.HandleFunc("POST /launch", func(w http.ResponseWriter, r *http.Request) {
//			payload, err := platform.Verify(r.Context(), []byte(r.FormValue("id_token")), []string{"RS256"})
//			if err != nil {
//				http.Error(w, "invalid token", http.StatusUnauthorized)
//				return
//			}
//			w.Write(payload) // verified claims; validate iss, aud, exp, nonce next
//		})
//		log.Fatal(http.ListenAndServe("localhost:8080", nil))
//	}
package jwks
