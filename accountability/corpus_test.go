package accountability_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/accountability"
)

// edit is one rewording of the reference policy: each old text (which
// must occur in the policy) replaced with its new text.
type edit struct {
	name string
	repl []string // old, new, old, new, …
	// want are findings the edit must add to those on the unedited policy;
	// nil for a neutral rewording, which must change no finding.
	want []kindKey
}

func (e edit) apply(t *testing.T, text string) string {
	t.Helper()
	for i := 0; i+1 < len(e.repl); i += 2 {
		if !strings.Contains(text, e.repl[i]) {
			t.Fatalf("the policy does not contain %q", e.repl[i])
		}
		text = strings.Replace(text, e.repl[i], e.repl[i+1], 1)
	}
	return text
}

func k(kind accountability.FindingKind, key string) kindKey { return kindKey{kind, key} }

// plantedEdits are changes a privacy lawyer would flag in a new version
// of the policy, one promise each, in different grammatical forms.
var plantedEdits = []edit{
	// Sale or sharing for money, negation judged per clause.
	{"sale denied then rented in the next clause", []string{
		"We do not sell or rent your Personal Information to third parties for marketing purposes.",
		"We do not sell your Personal Information, but we rent it to selected partners."},
		[]kindKey{k(accountability.SaleInText, "sale")}},
	{"sale in the passive", []string{
		"We do not sell or rent your Personal Information to third parties for marketing purposes.",
		"Your Personal Information may be sold to carefully selected third parties."},
		[]kindKey{k(accountability.SaleInText, "sale")}},
	{"sale as a gerund", []string{
		"We do not sell or rent your Personal Information to third parties for marketing purposes.",
		"Selling contact details to data brokers helps us keep the Services affordable."},
		[]kindKey{k(accountability.SaleInText, "sale")}},
	{"sharing in exchange for payment", []string{
		"with third party service providers for purposes of data processing or storage.",
		"with advertising partners in exchange for payment."},
		[]kindKey{k(accountability.SaleInText, "sale")}},
	{"monetising usage data", []string{
		"We may share your Personal Information within 24sessions,",
		"We may monetise the usage data we collect. We may share your Personal Information within 24sessions,"},
		[]kindKey{k(accountability.SaleInText, "sale")}},
	{"no sale except to partners", []string{
		"We do not sell or rent your Personal Information to third parties for marketing purposes.",
		"We do not sell or rent your Personal Information to third parties, except to our advertising partners."},
		[]kindKey{k(accountability.SaleInText, "sale")}},
	{"sold or licensed", []string{
		"We may collect and possibly share Personal Information",
		"Personal Information we collect may be sold or licensed to third parties. We may collect and possibly share Personal Information"},
		[]kindKey{k(accountability.SaleInText, "sale")}},
	{"partners market to you", []string{
		"We may also share your Personal Information with business partners,",
		"We may pass your email address to our partners so that they can market their products to you. We may also share your Personal Information with business partners,"},
		[]kindKey{k(accountability.SaleInText, "third_party_marketing")}},

	// Security.
	{"encryption promise removed", []string{
		"When we transfer credit card information over the Internet, we protect it using Secure Sockets Layer (SSL) encryption technology.", ""},
		[]kindKey{k(accountability.SecurityPromiseMissing, "encryption")}},
	{"encryption negated", []string{
		"When we transfer credit card information over the Internet, we protect it using Secure Sockets Layer (SSL) encryption technology.",
		"Credit card information is not encrypted when we transfer it over the Internet."},
		[]kindKey{k(accountability.SecurityPromiseNegated, "encryption")}},
	{"security measures removed", []string{
		"We utilize a combination of industry-standard security technologies, procedures, and organizational measures to help protect your Personal Information from unauthorized access, use or disclosure. ", ""},
		[]kindKey{k(accountability.SecurityPromiseMissing, "measures")}},

	// Retention.
	{"retention of ten years", []string{
		"We will retain your information for as long as your account is active or as needed to provide the Services.",
		"We will retain your information for ten years after your account is closed."},
		[]kindKey{k(accountability.RetentionNotInCatalog, "10 years")}},
	{"retention without limit", []string{
		"We only keep your data for as long as We need to,",
		"We keep your data indefinitely,"},
		[]kindKey{k(accountability.RetentionNotInCatalog, "indefinite")}},
	{"retention as long as we consider useful", []string{
		"We will retain your information for as long as your account is active or as needed to provide the Services.",
		"We will retain your information for as long as we consider it useful for our business."},
		[]kindKey{k(accountability.RetentionNotInCatalog, "indefinite")}},
	{"retention changed to 36 months", []string{
		"Your data will be deleted if we no longer need it in accordance with the terms of our Data Processing Agreement.",
		"Your data will be deleted 36 months after your last login."},
		[]kindKey{k(accountability.RetentionNotInCatalog, "36 months")}},

	// Transfers.
	{"servers in the United States and India", []string{
		"You are deemed to accept",
		"Your data is hosted on servers in the United States and India. You are deemed to accept"},
		[]kindKey{k(accountability.TransferNotInCatalog, "IN"), k(accountability.TransferNotInCatalog, "US")}},
	{"support teams in Asia", []string{
		"You are deemed to accept",
		"Our support teams in Asia may access your data. You are deemed to accept"},
		[]kindKey{k(accountability.TransferNotInCatalog, "region:asia")}},
	{"transfer safeguard removed", []string{
		" Such steps may include, but not be limited to, the use of legally binding contractual terms between us and any third parties.", ""},
		[]kindKey{k(accountability.TransferSafeguardNotInText, "safeguard")}},

	// Categories the catalog lacks.
	{"health information collected", []string{
		"Reviews and wrap-ups.",
		"Reviews and wrap-ups, and health information you share during meetings."},
		[]kindKey{k(accountability.CategoryMissingInCatalog, "health")}},
	{"date of birth and passport", []string{
		"Instance data: User name, Company name,",
		"Instance data: User name, date of birth, passport number, Company name,"},
		[]kindKey{k(accountability.CategoryMissingInCatalog, "date_of_birth"), k(accountability.CategoryMissingInCatalog, "government_id")}},
	{"facial recognition on recordings", []string{
		"Personalising and tailoring our products and services for you",
		"Personalising and tailoring our products and services for you, including facial recognition on recordings to identify who speaks"},
		[]kindKey{k(accountability.CategoryMissingInCatalog, "biometric")}},

	// Guest data for the operator's own purposes.
	{"guest data to market our products", []string{
		"The following personal data is collected from the Guest.",
		"The following personal data is collected from the Guest. We may also use Guest data to improve and market our own products."},
		[]kindKey{k(accountability.ProcessorDataOwnPurpose, "guest")}},
	{"guests added to the newsletter", []string{
		"The following personal data is collected from the Guest.",
		"The following personal data is collected from the Guest. We add the email addresses of your guests to our newsletter."},
		[]kindKey{k(accountability.ProcessorDataOwnPurpose, "guest")}},

	// Rights.
	{"withdrawal of consent removed", []string{
		" You are entitled to withdraw your given approval for processing your personal data.", ""},
		[]kindKey{k(accountability.RightNotInText, "withdraw_consent")}},
	{"objection denied", []string{
		", as well as object against processing your personal data based on legitimate reasons.",
		". You may not object to processing based on our legitimate interests."},
		[]kindKey{k(accountability.RightDenied, "objection")}},
	{"erasure denied", []string{
		"You may access, correct, or request deletion of your personal information,",
		"You may access or correct your personal information, but you cannot request its deletion,"},
		[]kindKey{k(accountability.RightDenied, "erasure")}},
	{"complaint removed", []string{
		"If you do not agree with the way your personal data is processed you have the right to file a complaint at support@24sessions.com", ""},
		[]kindKey{k(accountability.RightNotInText, "complaint")}},
	{"access removed everywhere", []string{
		"Upon request 24sessions will provide you with information about whether we hold any of your personal information. You may access, correct,",
		"You may correct,",
		"  • To request access 24sessions has about you\n", ""},
		[]kindKey{k(accountability.RightNotInText, "access")}},
	{"fee for requests", []string{
		"Request can be submitted by sending an email to support@24sessions.com.",
		"Requests can be submitted by email to support@24sessions.com; we charge an administrative fee of EUR 25 per request."},
		[]kindKey{k(accountability.RightLimited, "fee")}},
	{"answer within 90 days", []string{
		"We will respond to your request within a reasonable timeframe.",
		"We will respond to your request within 90 days."},
		[]kindKey{k(accountability.RightLimited, "response_time")}},

	// Automated decisions and children.
	{"automated decisions made", []string{
		"We currently make no automated decisions",
		"We currently make automated decisions about account approvals"},
		[]kindKey{k(accountability.AutomatedDecisionNotInCatalog, "automated_decision")}},
	{"system rejects sign-ups automatically", []string{
		"We currently make no automated decisions",
		"Our system automatically rejects sign-ups that it rates as high risk."},
		[]kindKey{k(accountability.AutomatedDecisionNotInCatalog, "automated_decision")}},
	{"services offered to children", []string{
		"What data do we collect?\n",
		"What data do we collect?\n\nOur Services are also offered to children under 16, whose data we collect with the consent of a parent.\n"},
		[]kindKey{k(accountability.ChildrenDataInText, "children")}},
	{"minors' data for personalisation", []string{
		"Personalising and tailoring your experience on our Site",
		"Personalising and tailoring your experience on our Site, also with data about minors"},
		[]kindKey{k(accountability.ChildrenDataInText, "children")}},

	// Purposes.
	{"referral purpose removed", []string{
		"  • To provide information on your request to another individual such as a friend or co-worker.\n", ""},
		[]kindKey{k(accountability.PurposeNotInText, "referral")}},
	{"model training added", []string{
		"  • To provide information on your request",
		"  • To train our machine learning models on meeting recordings.\n  • To provide information on your request"},
		[]kindKey{k(accountability.PurposeMissingInCatalog, "https://w3id.org/dpv#ResearchAndDevelopment")}},

	// A second round, written after the checks, in other words again.
	{"usage profiles sold to advertisers", []string{
		"We may collect and possibly share Personal Information",
		"We may sell aggregated and individual usage profiles to advertisers. We may collect and possibly share Personal Information"},
		[]kindKey{k(accountability.SaleInText, "sale")}},
	{"partners compensate us", []string{
		"We do not sell or rent your Personal Information to third parties for marketing purposes.",
		"We will not sell your data. However, we may share it with partners who compensate us for it."},
		[]kindKey{k(accountability.SaleInText, "sale")}},
	{"rented out", []string{
		"We do not sell or rent your Personal Information to third parties for marketing purposes.",
		"Your contact details may be rented out to marketing companies."},
		[]kindKey{k(accountability.SaleInText, "sale")}},
	{"trading usage information", []string{
		"We may collect and possibly share Personal Information",
		"We trade information about your usage with partner companies. We may collect and possibly share Personal Information"},
		[]kindKey{k(accountability.SaleInText, "sale")}},
	{"advertisers pay for access", []string{
		"We may collect and possibly share Personal Information",
		"Advertisers pay us for access to your meeting data. We may collect and possibly share Personal Information"},
		[]kindKey{k(accountability.SaleInText, "sale")}},
	{"encryption only where feasible", []string{
		"we protect it using Secure Sockets Layer (SSL) encryption technology.",
		"we protect it using Secure Sockets Layer (SSL) encryption technology where technically feasible."},
		[]kindKey{k(accountability.SecurityPromiseNegated, "encryption")}},
	{"encryption no longer used", []string{
		"When we transfer credit card information over the Internet, we protect it using Secure Sockets Layer (SSL) encryption technology.",
		"We no longer use SSL encryption when we transfer credit card information."},
		[]kindKey{k(accountability.SecurityPromiseNegated, "encryption")}},
	{"backups kept five years", []string{
		"Your data will be deleted if we no longer need it in accordance with the terms of our Data Processing Agreement.",
		"Backups of your data are kept for five years."},
		[]kindKey{k(accountability.RetentionNotInCatalog, "5 years")}},
	{"recordings kept seven years", []string{
		"Your data will be deleted if we no longer need it in accordance with the terms of our Data Processing Agreement.",
		"We keep your recordings for 7 years after the meeting."},
		[]kindKey{k(accountability.RetentionNotInCatalog, "7 years")}},
	{"kept for business purposes", []string{
		"We only keep your data for as long as We need to,",
		"We retain data for as long as necessary for our business purposes,"},
		[]kindKey{k(accountability.RetentionNotInCatalog, "indefinite")}},
	{"kept even after deletion", []string{
		"Your data will be deleted if we no longer need it in accordance with the terms of our Data Processing Agreement.",
		"Even after you delete your account, we keep a copy of your data."},
		[]kindKey{k(accountability.RetentionNotInCatalog, "indefinite")}},
	{"data centres in Virginia, USA", []string{
		"You are deemed to accept",
		"Our hosting provider stores data in data centres in Virginia, USA. You are deemed to accept"},
		[]kindKey{k(accountability.TransferNotInCatalog, "US")}},
	{"subsidiary in Canada", []string{
		"You are deemed to accept",
		"Data may be processed by our subsidiary in Canada. You are deemed to accept"},
		[]kindKey{k(accountability.TransferNotInCatalog, "CA")}},
	{"any country we operate in", []string{
		"You are deemed to accept",
		"We may transfer your data to any country in which we or our service providers operate. You are deemed to accept"},
		[]kindKey{k(accountability.TransferNotInCatalog, "region:worldwide")}},
	{"privacy shield relied on", []string{
		"the use of legally binding contractual terms between us and any third parties.",
		"the EU-US Privacy Shield."},
		[]kindKey{k(accountability.TransferSafeguardNotInText, "invalid_safeguard")}},
	{"home address collected", []string{
		"Instance data: User name, Company name,",
		"Instance data: User name, home address, Company name,"},
		[]kindKey{k(accountability.CategoryMissingInCatalog, "postal_address")}},
	{"meetings transcribed", []string{
		"Personalising and tailoring our products and services for you",
		"Personalising and tailoring our products and services for you, using automatic transcriptions of your meetings"},
		[]kindKey{k(accountability.CategoryMissingInCatalog, "message_content")}},
	{"religion and political views", []string{
		"Reviews and wrap-ups.",
		"Reviews and wrap-ups, and your religion or political views where you share them."},
		[]kindKey{k(accountability.CategoryMissingInCatalog, "religious_beliefs"), k(accountability.CategoryMissingInCatalog, "political_opinions")}},
	{"user IP address dropped from the list", []string{
		"Meeting Data, IP-address and optionally", "Meeting Data and optionally"},
		[]kindKey{k(accountability.CategoryNotInText, "instance.network.ip_address")}},
	{"profile photo dropped from the list", []string{
		"optionally Profile photo, Company Logo", "optionally Company Logo"},
		[]kindKey{k(accountability.CategoryNotInText, "instance.profile.photo")}},
	{"guest usage analysed for our products", []string{
		"The following personal data is collected from the Guest.",
		"The following personal data is collected from the Guest. We analyse guest usage data to improve our products."},
		[]kindKey{k(accountability.ProcessorDataOwnPurpose, "guest")}},
	{"invited people shared for promotion", []string{
		"The following personal data is collected from the Guest.",
		"The following personal data is collected from the Guest. Information about people invited to meetings may be shared with our partners for promotional purposes."},
		[]kindKey{k(accountability.ProcessorDataOwnPurpose, "guest")}},
	{"objection no longer possible", []string{
		", as well as object against processing your personal data based on legitimate reasons.",
		". You can no longer object to the processing of your personal data."},
		[]kindKey{k(accountability.RightDenied, "objection")}},
	{"deletion requests not accepted", []string{
		"Request can be submitted by sending an email to support@24sessions.com.",
		"Request can be submitted by sending an email to support@24sessions.com. Deletion requests are not accepted."},
		[]kindKey{k(accountability.RightDenied, "erasure")}},
	{"access once a year", []string{
		"Request can be submitted by sending an email to support@24sessions.com.",
		"Request can be submitted by sending an email to support@24sessions.com. You may request access to your data once per year."},
		[]kindKey{k(accountability.RightLimited, "frequency")}},
	{"suspension decided automatically", []string{
		"We currently make no automated decisions",
		"Decisions on account suspension are made automatically by our fraud system."},
		[]kindKey{k(accountability.AutomatedDecisionNotInCatalog, "automated_decision")}},
	{"algorithm decides the free trial", []string{
		"We currently make no automated decisions",
		"We use an algorithm to decide who may use the free trial."},
		[]kindKey{k(accountability.AutomatedDecisionNotInCatalog, "automated_decision")}},
	{"accounts from 13 years of age", []string{
		"What data do we collect?\n",
		"What data do we collect?\n\nUsers from 13 years of age may create an account.\n"},
		[]kindKey{k(accountability.ChildrenDataInText, "children")}},
	{"other purposes we consider appropriate", []string{
		"We will use your Personal Information only in accordance with our Privacy Policy.",
		"We may use your Personal Information for other purposes that we consider appropriate."},
		[]kindKey{k(accountability.PurposeOpenEnded, "further_use")}},
	{"AI training on meeting data", []string{
		"  • To provide information on your request",
		"  • We use your meeting data to train artificial intelligence models.\n  • To provide information on your request"},
		[]kindKey{k(accountability.PurposeMissingInCatalog, "https://w3id.org/dpv#ResearchAndDevelopment")}},
	{"personalised ads on other websites", []string{
		"  • To provide information on your request",
		"  • To show you personalised ads on other websites.\n  • To provide information on your request"},
		// The catalog's marketing.profiling is dpv:PersonalisedAdvertising
		// (newsletters); ads on other websites are advertising it lacks.
		[]kindKey{k(accountability.PurposeMissingInCatalog, "https://w3id.org/dpv#Advertising")}},

	// A third round.
	{"user phone number collected", []string{
		"Instance data: User name, Company name,",
		"Instance data: User name, mobile phone number, Company name,"},
		[]kindKey{k(accountability.CategoryMissingInCatalog, "phone_number")}},
	{"guests told about our products", []string{
		"The following personal data is collected from the Guest.",
		"The following personal data is collected from the Guest. We use the contact details of guests to send them information about our products."},
		[]kindKey{k(accountability.ProcessorDataOwnPurpose, "guest")}},
	{"information to advertisers", []string{
		"  • To provide information on your request to another individual such as a friend or co-worker.",
		"  • To provide information on your request to another individual such as a friend or co-worker.\n  • To provide information about your interests to advertisers."},
		[]kindKey{k(accountability.PurposeMissingInCatalog, "https://w3id.org/dpv#Advertising")}},
	{"retention plus three years", []string{
		"We will retain your information for as long as your account is active or as needed to provide the Services.",
		"We will retain your information for as long as your account is active and for 3 years thereafter."},
		[]kindKey{k(accountability.RetentionNotInCatalog, "3 years")}},
	{"transfers including Russia", []string{
		"Some or all of your data may be stored or transferred outside of the European Economic Area",
		"Some or all of your data may be stored or transferred outside of the European Economic Area, including to Russia,"},
		[]kindKey{k(accountability.TransferNotInCatalog, "RU")}},
	{"sale except paying partners", []string{
		"We do not sell or rent your Personal Information to third parties for marketing purposes.",
		"We will not sell or rent your Personal Information to third parties for marketing purposes, except to selected partners who pay for access."},
		[]kindKey{k(accountability.SaleInText, "sale")}},
	{"encryption technology dropped", []string{
		"we protect it using Secure Sockets Layer (SSL) encryption technology.",
		"we protect it."},
		[]kindKey{k(accountability.SecurityPromiseMissing, "encryption")}},
	{"knowingly collecting from children", []string{
		"We currently make no automated decisions",
		"We currently make no automated decisions. We knowingly collect personal data from children under 16."},
		[]kindKey{k(accountability.ChildrenDataInText, "children")}},
	{"automated eligibility assessment", []string{
		"We currently make no automated decisions",
		"We may use automated decision-making to assess your eligibility for discounts."},
		[]kindKey{k(accountability.AutomatedDecisionNotInCatalog, "automated_decision")}},

	// A fourth round.
	{"data made available to brokers", []string{
		"We may collect and possibly share Personal Information",
		"Personal data is made available to data brokers. We may collect and possibly share Personal Information"},
		[]kindKey{k(accountability.SaleInText, "sale")}},
	{"card data in plain text", []string{
		"When we transfer credit card information over the Internet, we protect it using Secure Sockets Layer (SSL) encryption technology.",
		"Card data is transmitted in plain text."},
		[]kindKey{k(accountability.SecurityPromiseNegated, "encryption")}},
	{"archives kept permanently", []string{
		"Your data will be deleted if we no longer need it in accordance with the terms of our Data Processing Agreement.",
		"Data is retained permanently in our archives."},
		[]kindKey{k(accountability.RetentionNotInCatalog, "indefinite")}},
	{"IP logs kept two years", []string{
		"Your data will be deleted if we no longer need it in accordance with the terms of our Data Processing Agreement.",
		"Log files containing IP addresses are kept for two years."},
		[]kindKey{k(accountability.RetentionNotInCatalog, "2 years")}},
	{"developers in Ukraine", []string{
		"You are deemed to accept",
		"Our developers in Ukraine may access production data. You are deemed to accept"},
		[]kindKey{k(accountability.TransferNotInCatalog, "UA")}},
	{"cloud provider in Singapore", []string{
		"You are deemed to accept",
		"We use a cloud provider based in Singapore. You are deemed to accept"},
		[]kindKey{k(accountability.TransferNotInCatalog, "SG")}},
	{"sexual orientation processed", []string{
		"Reviews and wrap-ups.",
		"Reviews and wrap-ups. We process information about your sexual orientation if you share it in meetings."},
		[]kindKey{k(accountability.CategoryMissingInCatalog, "sex_life_or_orientation")}},
	{"guests contacted with offers", []string{
		"The following personal data is collected from the Guest.",
		"The following personal data is collected from the Guest. We may contact guests directly to offer them our services."},
		[]kindKey{k(accountability.ProcessorDataOwnPurpose, "guest")}},
	{"erasure at our discretion", []string{
		"Request can be submitted by sending an email to support@24sessions.com.",
		"Request can be submitted by sending an email to support@24sessions.com. Requests for erasure are handled at our discretion."},
		[]kindKey{k(accountability.RightLimited, "discretion")}},
	{"limits set without human review", []string{
		"We currently make no automated decisions",
		"Account limits are set by our algorithm without human review."},
		[]kindKey{k(accountability.AutomatedDecisionNotInCatalog, "automated_decision")}},
	{"teenagers register", []string{
		"What data do we collect?\n",
		"What data do we collect?\n\nTeenagers aged 13 to 15 may register with their school account.\n"},
		[]kindKey{k(accountability.ChildrenDataInText, "children")}},
	{"service personalisation removed", []string{
		"  • Personalising and tailoring our products and services for you\n", ""},
		[]kindKey{k(accountability.PurposeNotInText, "service.personalisation")}},
	{"profile purpose removed", []string{
		"  • To provide the ability to create personal profile areas and view protected content\n", ""},
		[]kindKey{k(accountability.PurposeNotInText, "account.profile")}},
	{"billing purpose removed", []string{
		"  • To provide the ability to contact you, and provide you with shipping and billing information.\n", ""},
		[]kindKey{k(accountability.PurposeNotInText, "billing")}},
	{"company name dropped from the list", []string{"Company name, ", ""},
		[]kindKey{k(accountability.CategoryNotInText, "instance.account.company_name")}},
	{"user email dropped from the list", []string{"Email address, Financial", "Financial"},
		[]kindKey{k(accountability.CategoryNotInText, "instance.contact.email")}},
	{"guest browser data dropped", []string{", browser data)", ")"},
		[]kindKey{k(accountability.CategoryNotInText, "guest.it.browser")}},
	{"recordings dropped", []string{"Recordings, ", ""},
		[]kindKey{k(accountability.CategoryNotInText, "instance.meeting.recording")}},
}

// neutralEdits reword the policy without changing a promise: synonyms,
// reordered sentences, other formatting. They must change no finding.
var neutralEdits = []edit{
	{"sale denied in the passive", []string{
		"We do not sell or rent your Personal Information to third parties for marketing purposes.",
		"Your Personal Information is never sold or rented to third parties for marketing purposes."}, nil},
	{"sale denied with a contraction", []string{
		"We do not sell or rent your Personal Information to third parties for marketing purposes.",
		"We don’t sell, rent or trade your Personal Information to third parties for marketing purposes."}, nil},
	{"sale denied with neither nor", []string{
		"We do not sell or rent your Personal Information to third parties for marketing purposes.",
		"We neither sell nor rent your Personal Information to third parties for marketing purposes."}, nil},
	{"security synonyms", []string{
		"We utilize a combination of industry-standard security technologies, procedures, and organizational measures",
		"We use a mix of industry-standard security technologies, procedures and organisational measures"}, nil},
	{"encryption sentence reordered", []string{
		"When we transfer credit card information over the Internet, we protect it using Secure Sockets Layer (SSL) encryption technology.",
		"Credit card information that we transfer over the Internet is protected with Secure Sockets Layer (SSL) encryption."}, nil},
	{"support purpose with synonyms", []string{
		"To provide support, customer feedback and assistance for our Services.",
		"To offer assistance, customer feedback and support for our Services."}, nil},
	{"sentences reordered", []string{
		"We will retain your information for as long as your account is active or as needed to provide the Services. We will retain and use your information as necessary to comply with our legal obligations, resolve disputes, and enforce our agreements.",
		"We will retain and use your information as necessary to comply with our legal obligations, resolve disputes, and enforce our agreements. We will retain your information for as long as your account is active or as needed to provide the Services."}, nil},
	{"retention reworded", []string{
		"We will retain your information for as long as your account is active or as needed to provide the Services.",
		"We keep your information while your account is active, or as long as we need it to provide the Services."}, nil},
	{"rights reworded", []string{
		"You may access, correct, or request deletion of your personal information, as well as object against processing your personal data based on legitimate reasons.",
		"You can access and correct your personal information, ask us to delete it, and object to processing of your personal data based on legitimate reasons."}, nil},
	{"withdrawal reworded", []string{
		"You are entitled to withdraw your given approval for processing your personal data.",
		"You have the right to withdraw, at any time, the consent you gave for processing your personal data."}, nil},
	{"transfers reworded", []string{
		"Some or all of your data may be stored or transferred outside of the European Economic Area",
		"Your data, in whole or in part, may be stored or transferred outside the European Economic Area"}, nil},
	{"no automated decisions reworded", []string{
		"We currently make no automated decisions",
		"At present we do not make any automated decisions."}, nil},
	{"guest sentence reworded", []string{
		"A User, as defined in the terms of use, may store or upload Guest data into the Services.",
		"Users (as defined in the terms of use) may upload or store Guest data in the Services."}, nil},
	{"markdown headings and dashes", []string{
		"How do we use your data?\n", "## How do we use your data?\n",
		"How do we protect your data?\n", "## How do we protect your data?\n",
		"Do we disclose any information to outside parties?\n", "## Do we disclose any information to outside parties?\n",
		"  • To provide support, customer feedback", "- To provide support, customer feedback",
		"  • Personalising and tailoring your experience", "- Personalising and tailoring your experience"}, nil},
	{"windows line endings", []string{"\n", "\r\n"}, nil},
	{"sharing with providers reworded", []string{
		"We may share your Personal Information within 24sessions, its affiliated companies and with third party service providers for purposes of data processing or storage.",
		"Your Personal Information may be shared within 24sessions, with its affiliates and with third-party service providers that process or store data for us."}, nil},
	{"legal process reworded", []string{
		"As required by law, we may respond to subpoenas, court orders, or similar legal process by disclosing your Personal Information and other related information, if necessary;",
		"Where the law requires it, we may disclose your Personal Information and related information in response to subpoenas, court orders or similar legal process;"}, nil},
	{"announcements reworded", []string{
		"To keep you up to date on the latest product announcements, software updates, software upgrades and system enhancements you may unsubscribe or opt-out at any time by unsubscribing in the email footer",
		"To keep you informed about our latest product announcements, software updates and upgrades and system enhancements; you may unsubscribe or opt out at any time with the link in the email footer"}, nil},
	{"existence of data reworded", []string{
		"Upon request 24sessions will provide you with information about whether we hold any of your personal information.",
		"If you ask, 24sessions will tell you whether we hold any of your personal information."}, nil},
	{"automated decisions paragraph reworded", []string{
		"In the event that We use personal data for the purposes of automated decision-making and those decisions have a legal (or similarly significant effect) on you, you have the right to challenge to such decisions under GDPR, requesting human intervention, expressing their own point of view, and obtaining an explanation of the decision from Us",
		"If we ever use personal data for automated decision-making with legal or similarly significant effects on you, you may challenge such decisions under the GDPR, request human intervention, express your point of view and obtain an explanation of the decision from us."}, nil},
	{"sale denied under no circumstances", []string{
		"We do not sell or rent your Personal Information to third parties for marketing purposes.",
		"Under no circumstances will we sell or rent your Personal Information to third parties for marketing purposes."}, nil},
	{"sale denied with the verb as subject", []string{
		"We do not sell or rent your Personal Information to third parties for marketing purposes.",
		"Selling or renting your Personal Information to third parties for marketing purposes is something we never do."}, nil},
	{"no automated decisions in the passive", []string{
		"We currently make no automated decisions",
		"Automated decision-making is not used at present."}, nil},
	{"upper-case headings", []string{
		"How do we use your data?\n", "HOW DO WE USE YOUR DATA?\n",
		"How can you control your data?\n", "HOW CAN YOU CONTROL YOUR DATA?\n"}, nil},
	{"numbered list", []string{
		"  • To provide the ability to create personal profile areas", "1. To provide the ability to create personal profile areas",
		"  • Providing and managing your access to our Site", "2. Providing and managing your access to our Site"}, nil},
	{"precautions reworded", []string{
		"We recommend you to take every precaution in protecting your Personal Information when you are on the Internet.",
		"We advise you to take every precaution to protect your Personal Information online."}, nil},
	{"storage sentence reworded", []string{
		"We only keep your data for as long as We need to, in order to use it as described above, and/or for as long as We have your permission to keep it.",
		"We keep your data only as long as we need it for the uses described above, or as long as you allow us to keep it."}, nil},
	{"legitimate interests bullet reworded", []string{
		"except where such interests are overridden by the fundamental rights and freedoms of the data subject which require protection of personal data, in particular where the data subject is a child.",
		"unless such interests are overridden by the fundamental rights and freedoms of the data subject that require protection of personal data, in particular of children."}, nil},
	{"sale denied with a list of verbs", []string{
		"We do not sell or rent your Personal Information to third parties for marketing purposes.",
		"We do not sell, rent, lease or otherwise trade your Personal Information to third parties for marketing purposes."}, nil},
	{"encryption sentence turned round", []string{
		"When we transfer credit card information over the Internet, we protect it using Secure Sockets Layer (SSL) encryption technology.",
		"We use SSL encryption to protect credit card information we send over the Internet."}, nil},
	{"security measures in other words", []string{
		"We utilize a combination of industry-standard security technologies, procedures, and organizational measures to help protect your Personal Information from unauthorized access, use or disclosure.",
		"We rely on industry-standard security tools and procedures to keep your Personal Information safe from unauthorised access, use or disclosure."}, nil},
	{"third countries for outside the EEA", []string{
		"Some or all of your data may be stored or transferred outside of the European Economic Area",
		"Some or all of your data may be stored in or transferred to third countries outside the European Economic Area"}, nil},
	{"criminal activities for illegal activities", []string{
		"in order to investigate, prevent, or take action regarding illegal activities,",
		"in order to investigate, prevent, or take action regarding criminal activities,"}, nil},
	{"referral to your contacts", []string{
		"To provide information on your request to another individual such as a friend or co-worker.",
		"To provide information, at your request, to another individual among your contacts, such as a friend or co-worker."}, nil},
	{"profile purpose paraphrased", []string{
		"To provide the ability to create personal profile areas and view protected content",
		"To let you set up personal profile pages and see protected content"}, nil},
	{"orders purpose paraphrased", []string{
		"To process your orders and deliver the Services that you have ordered.",
		"To handle your orders and provide the Services you ordered."}, nil},
	{"personalisation purpose paraphrased", []string{
		"Personalising and tailoring our products and services for you",
		"Customising and personalising our services and products to you"}, nil},
	{"access purpose paraphrased", []string{
		"Providing and managing your access to our Site",
		"Giving you access to our Site and managing that access"}, nil},
}

// TestDiffNoticeCorpus runs the planted and neutral edits of the reference
// policy: every planted edit adds its finding, and no neutral one changes
// a finding.
func TestDiffNoticeCorpus(t *testing.T) {
	t.Parallel()
	c := privacy.DefaultCatalog()
	policy := readText(t, "privacy-policy-24sessions-v1.2.txt")
	base := keys(accountability.DiffNotice(c, policy))
	if len(plantedEdits) < 25 || len(neutralEdits) < 10 {
		t.Fatalf("the corpus needs at least 25 planted and 10 neutral edits, has %d and %d", len(plantedEdits), len(neutralEdits))
	}
	for _, e := range plantedEdits {
		t.Run("planted/"+e.name, func(t *testing.T) {
			t.Parallel()
			got := accountability.DiffNotice(c, e.apply(t, policy))
			added := []kindKey{}
			for _, kk := range keys(got) {
				if !contains(base, kk) {
					added = append(added, kk)
				}
			}
			for _, w := range e.want {
				if !contains(added, w) {
					t.Errorf("edit gives no %v finding; added findings %v:\n%s", w, added, findingsText(got))
				}
			}
		})
	}
	for _, e := range neutralEdits {
		t.Run("neutral/"+e.name, func(t *testing.T) {
			t.Parallel()
			got := accountability.DiffNotice(c, e.apply(t, policy))
			if diff := cmp.Diff(base, keys(got)); diff != "" {
				t.Errorf("a neutral rewording changed the findings (-want +got):\n%s\n%s", diff, findingsText(got))
			}
		})
	}
}

func contains(list []kindKey, k kindKey) bool {
	for _, x := range list {
		if x == k {
			return true
		}
	}
	return false
}

// FuzzDiffNotice: any text, however broken, is read without a panic, and
// every finding names its kind and key.
func FuzzDiffNotice(f *testing.F) {
	f.Add("We do not sell your data, but we rent it to partners.")
	f.Add("If we use automated decision-making:\n• we tell you\n- Art. 5.\n## Heading\n1. item")
	f.Add("’'.,;:()•-*·– 13 years of age, no one, not be limited to, except")
	c := privacy.DefaultCatalog()
	f.Fuzz(func(t *testing.T, text string) {
		for _, fd := range accountability.DiffNotice(c, text) {
			if fd.Kind == "" || fd.Key == "" || fd.Message == "" {
				t.Fatalf("finding without kind, key or message: %+v", fd)
			}
		}
	})
}
