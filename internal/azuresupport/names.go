package azuresupport

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/escalator/escalator/internal/fault"
)

// TicketName is the support ticket name of an incident: "escalator-" and
// the incident's sys_id for its first case, then "-<n>" for the case opened
// on its n-th reopening after a closed one. Azure support ticket names are
// unique per subscription and chosen by the caller, so the same incident
// and generation always name the same ticket and a repeated or replayed
// create cannot file a second one. A sys_id that is not plain letters and
// digits is replaced by its SHA-256 (hex, first 32 characters), keeping the
// name valid and still deterministic. A negative generation counts as 0.
func TicketName(sysID string, generation int) string {
	id := strings.ToLower(strings.TrimSpace(sysID))
	if id == "" || len(id) > 64 || strings.IndexFunc(id, notAlnum) >= 0 {
		id = shortHash(sysID)
	}
	name := "escalator-" + id
	if generation > 0 {
		name += "-" + strconv.Itoa(generation)
	}
	return name
}

// CommunicationName is the communication name of a message posted on a
// ticket, from the key of what it sends (the ServiceNow journal entry's
// sys_id): "escalator-" and the first 32 hex characters of the key's
// SHA-256. Keys may hold any character; the hash is valid as a name, and a
// redelivered event names the same communication, which Azure then refuses
// to create twice.
func CommunicationName(key string) string {
	return "escalator-" + shortHash(key)
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}

func notAlnum(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
}

// validResourceName accepts letters, digits, '-', '_' and '.', 1 to 260
// characters, not ending with '.': a safe subset of ARM resource names.
func validResourceName(s string) bool {
	if s == "" || len(s) > 260 || strings.HasSuffix(s, ".") {
		return false
	}
	for _, r := range s {
		if notAlnum(r) && r != '-' && r != '_' && r != '.' {
			return false
		}
	}
	return true
}

func checkName(kind, name string) error {
	if !validResourceName(name) {
		return fault.Permanentf("%s name %q is not a valid resource name", kind, name)
	}
	return nil
}
