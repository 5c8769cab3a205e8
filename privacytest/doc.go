// Package privacytest helps the tests of services that use the privacy
// module: it builds a decision engine on in-memory stores in one call, seeds
// the consents, objections and restrictions a test needs, and asserts
// decisions with messages that show the whole explained decision.
//
// A test of a consuming package reads:
//
//	env := privacytest.New(t)
//	env.Subject("u-1").Grant("marketing.profiling").Object("marketing.announcements")
//	privacytest.AssertAllowed(t, env.Engine, req("marketing.profiling"))
//	privacytest.AssertDenied(t, env.Engine, req("marketing.announcements"), privacy.ReasonObjectionActive)
//
// Golden records the decisions for a table of requests in a file under
// testdata and fails with a readable diff when a policy change flips one.
package privacytest
