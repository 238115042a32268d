package tool

import "context"

// Registrations is a [PlatformStore] an administrator can manage: list the
// registrations, add one, change one, remove one. The dynamic-registration
// handler (package dynreg) adds registrations through it, and the
// `ltikit registrations` command lists, approves, disables and removes
// them. [MemoryPlatforms], [FilePlatforms] and pgstore.Platforms implement
// it; testing/storetest checks an implementation.
//
// Implementations must be safe for concurrent use, also across processes
// sharing the backing store: Add, Update, Remove and AddDeployment are each
// atomic, and none of them loses another's change.
type Registrations interface {
	PlatformStore
	// List returns a copy of every registration, ordered by issuer, then
	// client_id.
	List(ctx context.Context) ([]Platform, error)
	// Add validates p and stores it as a new registration. It returns
	// ErrPlatformExists, and changes nothing, when (p.Issuer, p.ClientID)
	// is already registered.
	Add(ctx context.Context, p Platform) error
	// Update changes the registration (issuer, clientID) atomically: it
	// calls fn with a copy of it and, if fn returns nil, validates the
	// result and stores it. fn's error is returned unchanged and nothing is
	// stored. fn must not change Issuer or ClientID (Add a new registration
	// and Remove the old one instead) and must not call the store; it may
	// run more than once if an implementation retries a conflicting
	// update. Update returns ErrPlatformNotFound when no registration
	// matches.
	Update(ctx context.Context, issuer, clientID string, fn func(*Platform) error) error
	// Remove deletes the registration (issuer, clientID) with its
	// deployments. It returns ErrPlatformNotFound when none matches.
	Remove(ctx context.Context, issuer, clientID string) error
}

// Approve makes the registration (issuer, clientID) active: it clears
// Pending and Disabled, so that its logins and launches are accepted.
func Approve(ctx context.Context, r Registrations, issuer, clientID string) error {
	return r.Update(ctx, issuer, clientID, func(p *Platform) error {
		p.Pending, p.Disabled = false, false
		return nil
	})
}

// Disable sets Disabled on the registration (issuer, clientID): its logins
// and launches are refused until [Approve]. The registration and its
// deployments are kept.
func Disable(ctx context.Context, r Registrations, issuer, clientID string) error {
	return r.Update(ctx, issuer, clientID, func(p *Platform) error {
		p.Disabled = true
		return nil
	})
}
