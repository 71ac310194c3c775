package sim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// family is the API a route belongs to; it decides the error body shape.
type family int

const (
	famEntra family = iota
	famGraph
	famARM
	famServiceNow
	famServiceNowOAuth
)

// Server simulates Entra ID, Microsoft Graph, the Azure Support API and a
// ServiceNow instance on one listener. Every method is safe for concurrent use.
type Server struct {
	cfg Config
	mux *http.ServeMux

	mu       sync.Mutex
	rng      *mrand.Rand
	faults   Faults
	calls    map[string]int
	tokens   map[string]tokenInfo
	issues   []*HealthIssue
	services []healthService
	users    []user
	tickets  []*ticket
	ops      map[string]*operation
	tables   map[string]*snowTable // the ServiceNow instance, by table name
	// stateLog holds each incident's state changes (by sys_id), for State.
	stateLog map[string][]StateChange
	seq      int // counter for ids (tickets, ops)
	incNum   int // next incident number
}

// New returns a simulator seeded with the default tenant, users, service
// health issues, support catalog and the example incident. Zero Config
// fields take their defaults.
func New(cfg Config) *Server {
	cfg = cfg.withDefaults()
	s := &Server{
		cfg:    cfg,
		calls:  map[string]int{},
		tokens: map[string]tokenInfo{},
		ops:    map[string]*operation{},
		tables: map[string]*snowTable{},

		stateLog: map[string][]StateChange{},
	}
	s.reseedLocked(cfg.Seed)
	s.seed(cfg.Now().UTC().Truncate(time.Second))
	clear(s.stateLog) // the seed is the instance's history, not a change
	s.mux = http.NewServeMux()
	s.routes()
	return s
}

// Config returns the configuration in force, defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// Handler serves every simulated API and the /_sim control endpoints.
func (s *Server) Handler() http.Handler { return s.mux }

// Serve answers on ln until ctx is done, then shuts down (bounded to 5s).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("simulator: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		// A client still mid-request (in dev, the App shutting down beside
		// it) is cut off: a test double has nothing to drain.
		err = srv.Close()
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("simulator shutdown: %w", err)
	}
	return nil
}

// Run listens on addr (e.g. "127.0.0.1:8081") and serves until ctx is done.
func (s *Server) Run(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("simulator listen %s: %w", addr, err)
	}
	return s.Serve(ctx, ln)
}

func (s *Server) routes() {
	// Entra ID
	s.api(famEntra, "POST /{tenant}/oauth2/token", s.entraTokenV1)
	s.api(famEntra, "POST /{tenant}/oauth2/v2.0/token", s.entraTokenV2)
	// Graph service health
	s.api(famGraph, "GET /v1.0/admin/serviceAnnouncement/healthOverviews", s.graphOverviews)
	s.api(famGraph, "GET /v1.0/admin/serviceAnnouncement/healthOverviews/{service}", s.graphOverview)
	s.api(famGraph, "GET /v1.0/admin/serviceAnnouncement/issues", s.graphIssues)
	s.api(famGraph, "GET /v1.0/admin/serviceAnnouncement/issues/{id}", s.graphIssue)
	// Graph users
	s.api(famGraph, "GET /v1.0/users/{user}", s.graphUser)
	s.api(famGraph, "GET /v1.0/users/{user}/memberOf", s.graphMemberOf)
	// Azure Support
	const sup = "/subscriptions/{sub}/providers/Microsoft.Support"
	s.api(famARM, "PUT "+sup+"/supportTickets/{name}", s.armCreateTicket)
	s.api(famARM, "GET "+sup+"/supportTickets/{name}", s.armGetTicket)
	s.api(famARM, "PATCH "+sup+"/supportTickets/{name}", s.armUpdateTicket)
	s.api(famARM, "GET "+sup+"/supportTickets", s.armListTickets)
	s.api(famARM, "POST "+sup+"/checkNameAvailability", s.armCheckTicketName)
	s.api(famARM, "PUT "+sup+"/supportTickets/{name}/communications/{comm}", s.armCreateCommunication)
	s.api(famARM, "GET "+sup+"/supportTickets/{name}/communications/{comm}", s.armGetCommunication)
	s.api(famARM, "GET "+sup+"/supportTickets/{name}/communications", s.armListCommunications)
	s.api(famARM, "POST "+sup+"/supportTickets/{name}/checkNameAvailability", s.armCheckCommunicationName)
	s.api(famARM, "GET "+sup+"/operationsStatus/{op}", s.armOperationStatus)
	s.api(famARM, "GET "+sup+"/operationResults/{op}", s.armOperationResult)
	s.api(famARM, "GET /providers/Microsoft.Support/services", s.armListServices)
	s.api(famARM, "GET /providers/Microsoft.Support/services/{service}", s.armGetService)
	s.api(famARM, "GET /providers/Microsoft.Support/services/{service}/problemClassifications", s.armListProblemClassifications)
	s.api(famARM, "GET /providers/Microsoft.Support/services/{service}/problemClassifications/{pc}", s.armGetProblemClassification)
	s.api(famARM, "POST "+sup+"/classifyServices", s.armClassifyServices)
	s.api(famARM, "POST "+sup+"/services/{service}/classifyProblems", s.armClassifyProblems)
	// ServiceNow
	s.api(famServiceNowOAuth, "POST /oauth_token.do", s.snowToken)
	const table = "/api/now/table/{table}"
	s.api(famServiceNow, "GET "+table, s.snowList)
	s.api(famServiceNow, "POST "+table, s.snowCreate)
	s.api(famServiceNow, "GET "+table+"/{sys_id}", s.snowGet)
	s.api(famServiceNow, "PATCH "+table+"/{sys_id}", s.snowUpdate)
	s.api(famServiceNow, "PUT "+table+"/{sys_id}", s.snowUpdate)
	s.controlRoutes()
}

// Header is on every answer of the simulator's APIs, so that a client can
// tell it from the real services (doctor says "simulator", not
// "production").
const Header = "Escalator-Simulator"

// api registers an API route: counted, subject to faults. A Table API
// route counts under its table's name ("GET /api/now/table/incident/{sys_id}").
func (s *Server) api(fam family, pattern string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(Header, "1")
		route := pattern
		if t := r.PathValue("table"); tableName.MatchString(t) {
			route = strings.Replace(pattern, "{table}", t, 1)
		}
		s.mu.Lock()
		s.calls[route]++
		inj := s.decideLocked(route)
		s.mu.Unlock()
		if inj.delay > 0 {
			t := time.NewTimer(inj.delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if inj.status != 0 {
			if inj.retryAfter != "" {
				w.Header().Set("Retry-After", inj.retryAfter)
			}
			s.writeInjected(w, fam, inj.status)
			return
		}
		h(w, r)
	})
}

func (s *Server) reseedLocked(seed uint64) {
	s.rng = mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

func (s *Server) now() time.Time { return s.cfg.Now().UTC() }

// guidLocked returns a random GUID from the seeded source; caller holds s.mu.
func (s *Server) guidLocked() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(s.rng.UintN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func (s *Server) guid() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.guidLocked()
}

// randomToken is an opaque, unguessable token.
func randomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on supported platforms
	}
	return hex.EncodeToString(b[:])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	writeJSONType(w, "application/json; charset=utf-8", status, v)
}

func writeJSONType(w http.ResponseWriter, ctype string, status int, v any) {
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away; nothing to do
}

// baseURL is the scheme and host the request came in on, for absolute links.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// bearer returns the bearer token of r, or "".
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

const maxBody = 1 << 20

func readJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBody))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode body: %w", err)
	}
	return nil
}
