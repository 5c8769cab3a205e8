package policies

// The legal provision behind each reason and obligation code. Rego decides
// which codes apply; this table only annotates them. An extension's own
// code without an entry gets "".
var reasonArticles = map[string]string{
	"request.invalid":                    "GDPR Art. 5(2)",
	"data.unknown_category":              "GDPR Art. 5(1)(b)-(c), 30(1)(c)",
	"purpose.undeclared":                 "GDPR Art. 5(1)(b), 6(4), 13(1)(c)",
	"purpose.subject_not_covered":        "GDPR Art. 5(1)(b)",
	"purpose.category_not_permitted":     "GDPR Art. 5(1)(b)-(c)",
	"basis.not_declared":                 "GDPR Art. 6(1), 13(1)(c)",
	"consent.missing":                    "GDPR Art. 6(1)(a), 7(1)",
	"consent.withdrawn":                  "GDPR Art. 7(3)",
	"consent.expired":                    "GDPR Art. 6(1)(a), 7(1)",
	"consent.stale_version":              "GDPR Art. 4(11), 7(1)",
	"consent.guardian_required":          "GDPR Art. 8(1)",
	"legitimate_interests.no_assessment": "GDPR Art. 5(2), 6(1)(f)",
	"legitimate_interests.child":         "GDPR Art. 6(1)(f)",
	"objection.active":                   "GDPR Art. 21",
	"restriction.active":                 "GDPR Art. 18",
	"subject.deactivated":                "GDPR Art. 17(1), 17(3)",
	"processor.outside_instructions":     "GDPR Art. 28(3)(a), 28(10), 29",
	"disclosure.sale_prohibited":         "GDPR Art. 5(1)(a)-(b), 6(1)",
	"disclosure.processor_without_dpa":   "GDPR Art. 28(3)",
	"disclosure.recipient_not_permitted": "GDPR Art. 5(1)(b), 13(1)(e)",
	"transfer.no_safeguard":              "GDPR Art. 44-46",
	"automated_decision.not_permitted":   "GDPR Art. 22",
	"security.unencrypted_financial":     "GDPR Art. 32(1)(a)",
	"evaluation.failed":                  "GDPR Art. 5(2), 24(1)",
}

var obligationArticles = map[string]string{
	"encrypt_in_transit":        "GDPR Art. 32",
	"minimize":                  "GDPR Art. 5(1)(c)",
	"include_unsubscribe":       "GDPR Art. 21(2)-(4); ePrivacy Directive Art. 13(2)",
	"inform_profiling":          "GDPR Art. 13(2)(f), 14(2)(g)",
	"human_review":              "GDPR Art. 22(3)",
	"log_disclosure":            "GDPR Art. 15(1)(c), 30(1)(d)",
	"record_transfer_safeguard": "GDPR Art. 30(1)(e), 44-46",
}

func reasonArticle(code string) string     { return reasonArticles[code] }
func obligationArticle(code string) string { return obligationArticles[code] }
