package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// dev's data directory, and the one model of what survives a restart:
// the simulator always starts from its seed, so by default NATS starts
// empty too (streams, dead letters, cases, the linked account): a fresh
// dev, where the walkthrough gives the same answers every time. --keep
// keeps NATS's data (its cases then name tickets the new simulator does not
// have); --reset also forgets the ingest token and the written files. The
// ingest token is kept in the directory, so that $TOKEN, the printed curl
// and dev.env stay right across restarts.

// Files dev writes under its data directory; the only ones it removes.
const (
	devNATSDir    = "nats"
	devTokenFile  = "dev-token"
	devEnvFile    = "dev.env"
	devExampleDir = "examples"
)

// prepareDevData makes the data directory ready for a start: NATS's store
// removed unless keep, and with reset every file dev writes. It never
// removes anything else that lives there.
func prepareDevData(data string, keep, reset bool) error {
	if keep && reset {
		return configError("--keep and --reset", "are both set", "choose one: --keep keeps the last run's data, --reset starts afresh with a new ingest token")
	}
	remove := []string{}
	if !keep {
		remove = append(remove, devNATSDir)
	}
	if reset {
		remove = append(remove, devTokenFile, devEnvFile, devExampleDir)
	}
	for _, name := range remove {
		if err := os.RemoveAll(filepath.Join(data, name)); err != nil {
			return fmt.Errorf("--data %s: cannot remove %s: %w", data, name, err)
		}
	}
	if err := os.MkdirAll(data, 0o700); err != nil {
		return fmt.Errorf("--data %s: %w", data, err)
	}
	return nil
}

// natsAddrFree fails when addr is taken: the embedded server would only log
// it (it has no logger here) and never become ready.
// A malformed addr passes: startEmbeddedNATS names what is wrong with it.
func natsAddrFree(addr string) error {
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "0" || strings.Trim(port, "0123456789") != "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return configError("ESCALATOR_DEV_NATS_ADDR", fmt.Sprintf("cannot listen on %s (%v)", addr, err),
			"is another `escalator dev` or a NATS server running? stop it, or choose a free address with ESCALATOR_DEV_NATS_ADDR or --dev-nats-addr")
	}
	return ln.Close()
}

// devToken is the ingest token of dev: the one kept in the data directory,
// or a new one written there.
func devToken(data string) (string, error) {
	path := filepath.Join(data, devTokenFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if tok := strings.TrimSpace(string(b)); len(tok) >= 16 {
			return tok, nil
		}
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("--data %s: cannot read the dev token: %w", data, err)
	}
	tok := "dev-" + randomHex(16)
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("--data %s: cannot keep the dev token: %w", data, err)
	}
	return tok, nil
}
