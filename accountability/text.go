package accountability

import (
	"math"
	"strings"
	"unicode"
)

// This file reads a notice text the way DiffNotice needs it: lines, the
// headings above them, sentences, and clauses within a sentence, with the
// negations, conditions and exceptions that decide whether a clause makes
// a promise. It is a small, general reader of English prose, not a list of
// the sentences of one policy: a clause is split where English starts a
// new one (a semicolon or colon, "but", "however", "although", "if",
// "where", a relative "which" or "who", "and we", ", you", "you have"), and
// a negation ("not", "never", "no", "n't", "neither … nor", "prohibited")
// reaches from where it stands to the end of its clause, or to an
// exception ("except", "unless", "other than") that takes part of the
// clause back out of it.

// section is one sentence of a notice with the heading it stands under.
type section struct {
	heading string // the nearest heading above, "" before the first
	text    string // the sentence as written, trimmed
	clauses []clause
	// lead is, for a list item, the sentence that introduces the list
	// ("**Guest**: a person a User invites …"), which says whom the item
	// is about.
	lead string
}

// clause is a run of tokens that a negation, a condition or an exception
// can reach over.
type clause struct {
	toks []string
	// cond marks a conditional or concessive clause ("if we …", "in the
	// event that …", "where the subject is a child", "notwithstanding …"):
	// it presupposes or supposes, and promises nothing.
	cond bool
}

// readText splits a notice into sentences under their headings.
func readText(text string) []section {
	var out []section
	heading := ""
	// condList is set by a conditional lead-in ending in a colon ("If we
	// use your data for profiling, the following shall apply:"): the list
	// items below it are conditions too.
	condList := false
	lead := ""
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		item := listItem(line)
		if !item && isHeading(line) {
			heading = strings.TrimSpace(strings.Trim(line, "#*"))
			condList = false
			lead = ""
			continue
		}
		if !item {
			condList = false
			lead = line
		}
		for _, s := range splitSentences(line) {
			sec := section{heading: heading, text: s, clauses: splitClauses(tokenize(s))}
			if item {
				sec.lead = lead
			}
			if item && condList {
				for i := range sec.clauses {
					sec.clauses[i].cond = true
				}
			}
			out = append(out, sec)
		}
		if !item && strings.HasSuffix(line, ":") {
			if last := out[len(out)-1]; len(last.clauses) > 0 && last.clauses[0].cond {
				condList = true
			}
		}
	}
	return out
}

// listItem reports whether a line is an item of a bulleted or numbered
// list.
func listItem(line string) bool {
	if strings.IndexFunc(line, func(r rune) bool { return strings.ContainsRune("•-*·–", r) }) == 0 {
		return !strings.HasPrefix(line, "**") || strings.HasPrefix(line, "* ")
	}
	i := strings.IndexFunc(line, func(r rune) bool { return r < '0' || r > '9' })
	return i > 0 && i+1 < len(line) && (line[i] == '.' || line[i] == ')') && line[i+1] == ' '
}

// isHeading reports whether a line is a heading: Markdown "#", or a short
// line without a full stop that is a question or has no pronoun of a
// sentence ("Automated Decision-Making and Profiling", "How do we use
// your data?"), so that "We currently make no automated decisions",
// written without its full stop, stays a sentence.
func isHeading(line string) bool {
	if strings.HasPrefix(line, "#") {
		return true
	}
	if strings.HasSuffix(line, ".") || strings.HasSuffix(line, ":") || strings.HasSuffix(line, ";") || strings.HasSuffix(line, ",") {
		return false
	}
	toks := words(tokenize(line))
	if len(toks) == 0 || len(toks) > 9 {
		return false
	}
	if strings.HasSuffix(line, "?") {
		return true
	}
	for _, t := range toks {
		switch t {
		case "we", "you", "i", "they", "it", "our", "your", "is", "are", "will", "may":
			return false
		}
	}
	return true
}

// tokenize lower-cases s and splits it into words and the punctuation
// marks that separate clauses ("," ";" ":"). An apostrophe inside a word
// joins it ("don't" → "dont", "guests'" → "guests"); hyphens and other
// marks separate words ("decision-making" → "decision", "making").
func tokenize(s string) []string {
	var out []string
	var w strings.Builder
	rs := []rune(strings.ToLower(s))
	flush := func() {
		if w.Len() > 0 {
			out = append(out, w.String())
			w.Reset()
		}
	}
	for i, r := range rs {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			w.WriteRune(r)
		case (r == '\'' || r == '’') && w.Len() > 0 && i+1 < len(rs) && unicode.IsLetter(rs[i+1]):
			// inside a word: drop it and keep the word whole
		case r == ',' || r == ';' || r == ':':
			flush()
			out = append(out, string(r))
		case r == '.' && w.Len() > 0 && i+1 < len(rs) && (unicode.IsLetter(rs[i+1]) || unicode.IsDigit(rs[i+1])):
			// "24sessions.com", "u.s.": a dot inside a word separates
			// without ending the clause
			flush()
		default:
			flush()
		}
	}
	flush()
	return out
}

// words drops punctuation tokens.
func words(toks []string) []string {
	out := make([]string, 0, len(toks))
	for _, t := range toks {
		if t != "," && t != ";" && t != ":" {
			out = append(out, t)
		}
	}
	return out
}

// clauseStarters begin a new clause wherever they stand.
var clauseStarters = map[string]bool{
	"but": true, "however": true, "although": true, "though": true, "whereas": true, "yet": true,
	"while": true, "whilst": true, "nevertheless": true, "nonetheless": true, "instead": true,
	"because": true, "which": true, "who": true, "whom": true, "whose": true,
	"if": true, "when": true, "whenever": true, "where": true, "wherever": true,
	"notwithstanding": true, "despite": true,
}

// conditionStarters make their clause a condition or a concession.
var conditionStarters = map[string]bool{
	"if": true, "when": true, "whenever": true, "where": true, "wherever": true, "should": true,
	"notwithstanding": true, "despite": true, "although": true, "though": true, "provided": true,
}

// subjects are pronouns that, after "and", "or" or a comma, start a new
// clause ("…, but we rent it", "… and we rent it").
var subjects = map[string]bool{"we": true, "you": true, "they": true, "he": true, "she": true, "i": true, "our": true, "your": true, "their": true}

// finite are verbs that, after a subject pronoun in the middle of a
// clause, show that a new clause has started without punctuation ("If you
// do not agree with the way it is processed you have the right …").
var finite = map[string]bool{
	"have": true, "has": true, "may": true, "can": true, "will": true, "shall": true, "must": true,
	"should": true, "might": true, "could": true, "would": true, "are": true, "need": true,
}

// splitClauses splits a sentence's tokens into clauses.
func splitClauses(toks []string) []clause {
	var out []clause
	cur := clause{}
	start := func(i int) {
		if len(cur.toks) > 0 {
			out = append(out, cur)
		}
		cur = clause{}
		if i < len(toks) {
			t := toks[i]
			cur.cond = conditionStarters[t] ||
				(t == "in" && i+2 < len(toks) && (toks[i+1] == "the" && toks[i+2] == "event" || toks[i+1] == "case")) ||
				(t == "even" && i+1 < len(toks) && toks[i+1] == "though")
		}
	}
	start(0)
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		next := ""
		if i+1 < len(toks) {
			next = toks[i+1]
		}
		switch {
		case t == ";" || t == ":":
			start(i + 1)
			continue
		case t == ",":
			if subjects[next] || clauseStarters[next] || next == "and" && subjects[after(toks, i+2)] {
				start(i + 1)
			}
			continue
		case (t == "and" || t == "or") && subjects[next]:
			start(i + 1)
			continue
		case clauseStarters[t] && len(cur.toks) > 0:
			start(i)
		case t == "in" && len(cur.toks) > 0 && (next == "case" || next == "the" && after(toks, i+2) == "event"):
			// "… and Profiling in the event that we use …": a condition
			// starts mid-sentence (a heading run into the text)
			start(i)
		case (t == "we" || t == "you" || t == "they") && finite[next] && len(cur.toks) > 1 &&
			!negators[cur.toks[len(cur.toks)-1]] && cur.toks[len(cur.toks)-1] != "that":
			start(i)
		}
		cur.toks = append(cur.toks, t)
	}
	start(len(toks))
	return out
}

func after(toks []string, i int) string {
	if i < len(toks) {
		return toks[i]
	}
	return ""
}

// negators negate what follows them in their clause.
var negators = map[string]bool{
	"not": true, "never": true, "no": true, "nor": true, "neither": true, "none": true, "nobody": true,
	"cannot": true, "dont": true, "doesnt": true, "didnt": true, "wont": true, "wouldnt": true, "cant": true,
	"couldnt": true, "shouldnt": true, "isnt": true, "arent": true, "wasnt": true, "werent": true,
	"hasnt": true, "havent": true, "hadnt": true, "shant": true, "mustnt": true, "neednt": true,
	"prohibited": true, "prohibit": true, "prohibits": true, "forbidden": true, "forbid": true, "forbids": true,
	"refrain": true, "refrains": true, "refuse": true, "refuses": true, "refused": true,
}

// exceptions take what follows them out of a negation ("we do not sell
// your data except to partners").
var exceptions = map[string]bool{"except": true, "unless": true, "excluding": true, "besides": true}

// isException reports whether an exception starts at toks[i]: "except",
// "unless", "other than", "apart from", "save for".
func isException(toks []string, i int) bool {
	if exceptions[toks[i]] {
		return true
	}
	n := after(toks, i+1)
	return (toks[i] == "other" && n == "than") || (toks[i] == "apart" && n == "from") || (toks[i] == "save" && n == "for")
}

// negatedAt reports whether the token at i is negated in its clause: a
// negator stands before it with no exception in between ("not only" is no
// negation), or its object is negated right after it ("… sell it to no
// one", "to nobody").
func (c clause) negatedAt(i int) bool {
	for j := i - 1; j >= 0; j-- {
		if isException(c.toks, j) {
			return false
		}
		if negators[c.toks[j]] && !idiom(c.toks, j) {
			return true
		}
	}
	for j := i + 1; j < len(c.toks) && j <= i+4; j++ {
		switch c.toks[j] {
		case "nobody", "none":
			// "… to nobody", "… to none of them"
			return true

		case "no":
			if n := after(c.toks, j+1); n == "one" || n == "third" || n == "other" || n == "party" || n == "parties" || n == "company" || n == "companies" {
				return true
			}
		}
	}
	// The phrase is the subject of its clause, before the clause's first
	// auxiliary verb, and the predicate is negated: "Deletion requests are
	// not accepted", "Selling your data is something we never do".
	for j := 0; j < i; j++ {
		if auxiliaries[c.toks[j]] {
			return false
		}
	}
	for j := i + 1; j < len(c.toks); j++ {
		if !auxiliaries[c.toks[j]] && !negators[c.toks[j]] {
			continue
		}
		for k := j; k < len(c.toks); k++ {
			if isException(c.toks, k) {
				return false
			}
			if negators[c.toks[k]] && !idiom(c.toks, k) {
				return true
			}
		}
		return false
	}
	return false
}

// auxiliaries are the verbs that carry a clause's negation ("is not",
// "will never", "can not").
var auxiliaries = map[string]bool{
	"is": true, "are": true, "was": true, "were": true, "be": true, "been": true, "will": true, "would": true,
	"can": true, "could": true, "may": true, "might": true, "shall": true, "should": true, "must": true,
	"do": true, "does": true, "did": true, "has": true, "have": true, "had": true,
	"cannot": true, "cant": true, "wont": true, "isnt": true, "arent": true, "doesnt": true, "dont": true,
}

// idiom reports whether the negator at j is part of an idiom that negates
// nothing: "not only", "not least", "not limited to", "but not be limited
// to" ("including").
func idiom(toks []string, j int) bool {
	if toks[j] != "not" {
		return false
	}
	n := after(toks, j+1)
	return n == "only" || n == "least" || n == "limited" || n == "be" && after(toks, j+2) == "limited"
}

// exceptedAfter reports whether an exception follows the token at i in
// its clause ("we do not sell your data unless you agree").
func (c clause) exceptedAfter(i int) bool {
	for j := i + 1; j < len(c.toks); j++ {
		if isException(c.toks, j) {
			return true
		}
	}
	return false
}

// phrase is a sequence of words to find in a clause; a word ending in "*"
// matches any word it begins ("encrypt*" matches "encrypted").
type phrase []string

// phrases parses space-separated patterns.
func phrases(list ...string) []phrase {
	out := make([]phrase, len(list))
	for i, s := range list {
		out[i] = strings.Fields(s)
	}
	return out
}

// find returns the index of the first token of the first match of p in
// the clause at or after from, or -1.
func (c clause) find(p phrase, from int) int {
	for i := from; i+len(p) <= len(c.toks); i++ {
		ok := true
		for k, w := range p {
			t := c.toks[i+k]
			if prefix, found := strings.CutSuffix(w, "*"); found {
				ok = strings.HasPrefix(t, prefix)
			} else {
				ok = t == w
			}
			if !ok {
				break
			}
		}
		if ok {
			return i
		}
	}
	return -1
}

// match is one occurrence of a phrase in a clause.
type match struct {
	s       *section
	c       clause
	at      int
	negated bool
}

// findAll returns every occurrence of any of the phrases in the text's
// clauses, conditional clauses included; a caller decides what a negated
// or conditional match means for its promise.
func findAll(text []section, ps []phrase) []match {
	var out []match
	for si := range text {
		s := &text[si]
		for _, c := range s.clauses {
			for _, p := range ps {
				for i := c.find(p, 0); i >= 0; i = c.find(p, i+1) {
					out = append(out, match{s: s, c: c, at: i, negated: c.negatedAt(i)})
				}
			}
		}
	}
	return out
}

// within reports whether the token at i is part of a match of one of the
// phrases ("trade" in "trade union membership").
func (c clause) within(ps []phrase, i int) bool {
	for _, p := range ps {
		for j := c.find(p, max(0, i-len(p)+1)); j >= 0 && j <= i; j = c.find(p, j+1) {
			if i < j+len(p) {
				return true
			}
		}
	}
	return false
}

// has reports whether the clause contains any of the phrases.
func (c clause) has(ps []phrase) bool {
	for _, p := range ps {
		if c.find(p, 0) >= 0 {
			return true
		}
	}
	return false
}

// hasSentence reports whether any clause of the sentence contains any of
// the phrases.
func (s *section) has(ps []phrase) bool {
	for _, c := range s.clauses {
		if c.has(ps) {
			return true
		}
	}
	return false
}

// stems is the set of content-word stems of a passage.
type stems map[string]bool

// stopWords carry no content of their own for comparing a catalog
// purpose's reason with a passage of a notice.
var stopWords = map[string]bool{
	"a": true, "an": true, "the": true, "and": true, "or": true, "to": true, "of": true, "for": true, "in": true,
	"on": true, "with": true, "by": true, "from": true, "at": true, "as": true, "we": true, "you": true, "your": true,
	"our": true, "us": true, "it": true, "its": true, "that": true, "this": true, "these": true, "those": true,
	"is": true, "are": true, "be": true, "will": true, "may": true, "can": true, "so": true, "any": true, "all": true,
	"such": true, "about": true, "into": true, "some": true, "which": true, "who": true, "also": true, "if": true,
	"do": true, "does": true, "have": true, "has": true, "order": true, "able": true, "ability": true, "s": true,
	"let": true, "allow": true, "allows": true, "enable": true, "enables": true, "up": true,
}

// synonyms fold the words a rewording commonly swaps onto one stem.
var synonyms = map[string]string{
	"utilis": "us", "utiliz": "us", "employ": "us", "mak": "us",
	"offer": "provid", "giv": "provid", "supply": "provid", "deliver": "provid", "furnish": "provid",
	"tailor": "personalis", "customis": "personalis", "adapt": "personalis",
	"informat": "data", "info": "data", "detail": "data",
	"websit": "site", "platform": "site",
	"assist": "support", "help": "support",
	"obtain": "collect", "gather": "collect",
	"inform": "tell", "notify": "tell",
	"purchas": "order", "buy": "order", "bought": "order",
	"keep": "retain", "kept": "retain", "stor": "retain",
	"shar": "disclos", "pass": "disclos",
	"lawsuit": "claim", "litigat": "claim",
	"set": "creat", "build": "creat", "open": "creat", "establish": "creat",
	"see": "view", "watch": "view", "consult": "view",
	"pag": "area", "section": "area", "spac": "area",
	"questionnair": "survey", "poll": "survey",
	"newsletter": "newsletter", "email": "mail", "e": "",
}

// stem cuts a word to a crude stem: British and American spellings fold
// ("personalize" → "personalis"), and common suffixes drop.
func stem(w string) string {
	w = strings.ReplaceAll(w, "iz", "is")
	w = strings.ReplaceAll(w, "yz", "ys")
	for _, suf := range []string{"ations", "ation", "ings", "ing", "ies", "ed", "es", "s", "e", "ly"} {
		if len(w) > len(suf)+2 && strings.HasSuffix(w, suf) && !(suf == "s" && strings.HasSuffix(w, "ss")) {
			w = strings.TrimSuffix(w, suf)
			if suf == "ies" {
				w += "y"
			}
			break
		}
	}
	w = strings.TrimSuffix(w, "e")
	if s, ok := synonyms[w]; ok {
		return s
	}
	return w
}

// stemsOf returns the content-word stems of a text.
func stemsOf(text string) stems {
	out := stems{}
	for _, t := range words(tokenize(text)) {
		if stopWords[t] {
			continue
		}
		if s := stem(t); s != "" && !stopWords[s] {
			out[s] = true
		}
	}
	return out
}

// passages are the stems of a text's passages (each sentence and each
// pair of neighbouring sentences) and, for weighting, in how many
// sentences each stem occurs.
type passages struct {
	list []stems
	df   map[string]int
	n    int
}

// passagesOf returns the passages a purpose's reason may be stated in.
func passagesOf(doc []section) passages {
	ps := passages{df: map[string]int{}, n: len(doc)}
	for i := range doc {
		one := stemsOf(doc[i].text)
		for w := range one {
			ps.df[w]++
		}
		ps.list = append(ps.list, one)
		if i+1 < len(doc) {
			ps.list = append(ps.list, stemsOf(doc[i].text+" "+doc[i+1].text))
		}
	}
	return ps
}

// reasonShare is the weighted share of a reason's content words a passage
// must hold to state it: enough that removing or rewriting the promise
// counts, few enough that synonyms and reordering do not.
const reasonShare = 0.7

// weight is a stem's inverse document frequency in the text: a word of
// every other sentence ("services", "data") says little about which
// promise a passage states, a rare one ("questionnaires") much.
func (ps passages) weight(w string) float64 {
	return 0.1 + math.Log(float64(ps.n+1)/float64(ps.df[w]+1))
}

// statesReason reports whether one of the passages states the reason:
// holds a weighted share of at least reasonShare of its stems.
func (ps passages) statesReason(reason string) bool {
	want := stemsOf(reason)
	total := 0.0
	for w := range want {
		total += ps.weight(w)
	}
	if total == 0 {
		return true
	}
	for _, p := range ps.list {
		got := 0.0
		for w := range want {
			if p[w] {
				got += ps.weight(w)
			}
		}
		if got >= reasonShare*total {
			return true
		}
	}
	return false
}
