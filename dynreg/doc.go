// Package dynreg installs an LTI 1.3 tool in an LMS by LTI Dynamic
// Registration 1.0: the LMS administrator pastes the tool's registration
// URL (Moodle: Site administration > Plugins > Activity modules > External
// tool > Manage tools, field "Tool URL", button "Add LTI Advantage"), checks
// what the tool asks for on its confirmation page, and confirms; the tool
// and the LMS then configure each other, and the new registration lands in
// the tool's registration store.
//
// A [Handler] serves the registration URL:
//
//	t, err := tool.New(tool.Config{Platforms: regs, Keys: keys, BaseURL: "https://tool.example"})
//	if err != nil { … }
//	reg, err := dynreg.New(dynreg.Config{
//		Tool:           t,
//		Name:           "Quiz Tool",
//		DeepLinkingURL: "https://tool.example/lti/launch",
//		Grades:         true,
//		Roster:         true,
//	})
//	if err != nil { … }
//	mux.Handle("/lti/register", reg) // the URL to give LMS administrators
//
// The store, regs, must implement [tool.Registrations]: [tool.FilePlatforms]
// (tool.OpenPlatforms), [tool.MemoryPlatforms] and pgstore.Platforms do.
//
// # What happens
//
//  1. The LMS opens the URL with openid_configuration and
//     registration_token (DR-01). The Handler fetches the configuration,
//     sending the token as a bearer token (DR-02), and checks it (DR-03,
//     DR-04): the issuer is on the host of the configuration URL, the
//     registration endpoint on the issuer's origin, the endpoints are
//     https, private_key_jwt, RS256 and id_token are supported when the
//     platform lists what it supports. A platform on the tool's own
//     machine (loopback, over http or https) is accepted only while the
//     tool itself runs on loopback, during development. The shapes older
//     Moodles served are accepted.
//  2. It shows a confirmation page: the tool, the platform, and what the
//     tool asks for (launches with the user's name and email, deep
//     linking, grades, rosters), noting what the platform does not
//     advertise. The page posts back a single-use token kept in the
//     tool's Store; a replay, a second click or a post from another site
//     is refused.
//  3. On confirmation it posts the client registration (DR-05 to DR-07)
//     with the registration token as bearer token, stores the registration
//     the answer describes (DR-08: issuer, client_id, deployment_id,
//     endpoints; trust-on-first-use when the platform returns no
//     deployment_id), and answers with a page that posts
//     {subject: "org.imsglobal.lti.close"} to the LMS's window (DR-09).
//
// The pages carry their own Content-Security-Policy, which replaces one a
// wrapping middleware set before calling the Handler: it allows their
// inline close script and style sheet by hash, the logo's origin, and
// nothing else.
//
// Every failure (a used or invalid registration token, a platform that
// answers errors as HTML, a timeout, a store failure) ends on a page that
// tells the administrator what happened and what to do, and stores nothing.
//
// # Approval
//
// The registration URL is public: anyone can register a platform of their
// own. Set Config.RequireApproval to store new registrations as Pending
// until the tool's administrator approves them with [tool.Approve] (or
// `ltikit registrations approve`), or serve the Handler behind the tool's
// own sign-in.
package dynreg
