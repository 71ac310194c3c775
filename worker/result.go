package worker

import "context"

// ResultState is how a request ended, in the words of the ServiceNow outbox
// row that asked for it (u_state).
type ResultState string

// The final states a handled message can report.
const (
	// ResultDone: the handler did what was asked (or found it done).
	ResultDone ResultState = "done"
	// ResultRefused: the handler declined on purpose (a missing role, a
	// missing incident); the message is acked.
	ResultRefused ResultState = "refused"
	// ResultFailed: the message was dead-lettered.
	ResultFailed ResultState = "failed"
)

// Result is what became of a message, in words an agent understands
// ("Escalated as Microsoft case 2612…", "Refused: abel.tuter does not hold
// escalator_administrator").
type Result struct {
	State ResultState
	Text  string
}

// SetResult records what the handler did with the message; the last call
// wins. A handler that returns nil without calling it reports ResultDone
// with no text.
func (m *Message) SetResult(state ResultState, text string) {
	m.result = Result{State: state, Text: text}
}

// Result returns what SetResult recorded; ok is false when nothing was.
func (m *Message) Result() (res Result, ok bool) {
	return m.result, m.result.State != ""
}

// Reporter learns how each message ended, before the worker settles it, so
// the outcome is where the requester can see it (the outbox row) before the
// message leaves the stream.
type Reporter interface {
	// Report is called before the Ack of a handled message and before the
	// Term of a dead-lettered one. An error on a handled message makes the
	// worker retry the message (handlers' effects are keyed, so the rerun
	// repeats none of them); on a dead letter it is logged, and the dead
	// letter keeps the reason.
	Report(ctx context.Context, msg *Message, res Result) error
}
