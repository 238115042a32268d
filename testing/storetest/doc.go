// Package storetest checks implementations of [tool.Registrations], the
// store of a tool's registrations, in the way testing/fstest checks file
// systems. ltikit runs it against its own stores ([tool.MemoryPlatforms],
// [tool.FilePlatforms], pgstore.Platforms); a vendor who keeps
// registrations elsewhere (their application's database, Redis, …) runs it
// against theirs:
//
//	func TestMyStore(t *testing.T) {
//		storetest.TestPlatforms(t, func(t *testing.T) tool.Registrations {
//			return newEmptyStore(t) // a fresh, empty store for each subtest
//		})
//	}
//
// The suite checks what the tool relies on: exact lookups by issuer and
// client_id, copies that callers cannot corrupt, refusals with the
// sentinel errors, deployments recorded by trust-on-first-use, and
// atomic changes under concurrent use.
//
// [TestStore] checks a [tool.Store], where a tool keeps its pending
// logins, used nonces and launches (Redis, memcached, a SQL table, …):
// exact keys, values copied, expiry, an atomic add-if-absent and a Take
// that only one of several concurrent callers wins, which is what makes a
// state and a nonce single-use across processes.
//
// [TestOutbox] does the same for [outbox.Store], where the grade outbox
// keeps scores until they are delivered: run it against a PostgreSQL or
// Redis store before delivering from it.
package storetest
