package outbox

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/worker"
)

// What a row says, in words an agent reads on the incident's "Escalator
// requests" list.

// maxResult bounds u_result and u_last_error (the update set's fields hold
// 4,000 characters).
const maxResult = 4000

// maxReason bounds the dead-letter reason quoted in u_result: the start of
// the chain says what went wrong, the rest is for the operator's dlq show.
const maxReason = 600

// doneText is what a done request says when its handler gave no words.
var doneText = map[string]string{
	event.SubjectInsights:   "Done: the matching Microsoft service health issues and recommended articles are in the incident's work notes.",
	event.SubjectEscalation: "Done: the incident is escalated to Microsoft support; the work notes hold the case number.",
	event.SubjectUpdate:     "Done: the update was passed on to the Microsoft support case.",
}

const refusedText = "Refused: Escalator did not act on this request; the incident's work notes say why."

// outcomeFields are the fields the outcome res of the event on subject
// (stored at seq) writes on its row.
func outcomeFields(subject string, res worker.Result, seq uint64) map[string]string {
	state := string(res.State)
	if !isFinal(state) {
		state = StateDone
	}
	f := map[string]string{"u_state": state, "u_result": bound(resultText(subject, state, res.Text), maxResult)}
	if seq > 0 {
		f["u_event_seq"] = strconv.FormatUint(seq, 10)
	}
	if state == StateFailed {
		f["u_last_error"] = bound(res.Text, maxResult)
	}
	return f
}

func resultText(subject, state, text string) string {
	text = strings.TrimSpace(text)
	switch state {
	case StateFailed:
		return failedText(text)
	case StateRefused:
		if text == "" {
			return refusedText
		}
	default:
		if text == "" {
			if t, ok := doneText[subject]; ok {
				return t
			}
			return "Done."
		}
	}
	return text
}

// failedText turns a dead-letter reason (an error chain such as "escalate
// INC0010023: no linked admin account: …") into a sentence for the agent
// and says what happens next.
func failedText(reason string) string {
	r := strings.Join(strings.Fields(reason), " ")
	if r == "" {
		r = "the request could not be completed"
	}
	r = bound(r, maxReason)
	if len(r) < len(strings.Join(strings.Fields(reason), " ")) {
		r += "…"
	} else if !strings.HasSuffix(r, ".") {
		r += "."
	}
	first, n := utf8.DecodeRuneInString(r)
	r = string(unicode.ToUpper(first)) + r[n:]
	return "Failed: " + r + " The request waits in Escalator's dead-letter queue; once the cause is fixed, an operator sends it again with `escalator replay --dlq`."
}

// rowFailedText is what a row that cannot become an event says.
func rowFailedText(err error) string {
	return bound("Failed: Escalator could not read this request: "+err.Error()+". Correct the request and submit it again.", maxResult)
}

// bound cuts s to at most n bytes without splitting a UTF-8 sequence.
func bound(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
