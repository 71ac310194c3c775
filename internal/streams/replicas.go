package streams

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ClusterReplicas is the automatic replica count in a cluster of at least
// that many servers.
const ClusterReplicas = 3

// ResolveReplicas is the replica count Ensure gives every resource.
// configured > 0 is taken as it is (ESCALATOR_REPLICAS). Zero means
// automatic: ClusterReplicas when the connection sees a cluster of that many
// servers or more (ClusterSize), else 1; and never fewer than the event
// stream already has, so a replica that sees less of the cluster than its
// peers does not scale the streams down.
func ResolveReplicas(ctx context.Context, js jetstream.JetStream, configured int) (int, error) {
	if configured > 0 {
		return configured, nil
	}
	n := 1
	if ClusterSize(js.Conn()) >= ClusterReplicas {
		n = ClusterReplicas
	}
	s, err := js.Stream(ctx, StreamName)
	switch {
	case err == nil:
		n = max(n, s.CachedInfo().Config.Replicas)
	case !errors.Is(err, jetstream.ErrStreamNotFound):
		return 0, fmt.Errorf("read stream %s for its replicas: %w", StreamName, err)
	}
	return n, nil
}

// ClusterSize is how many NATS servers nc knows of: 1 when the server it
// is connected to is not in a cluster, else the distinct servers among the
// URLs it was given and those the cluster advertises (INFO connect_urls).
// JetStream tells an ordinary account nothing about its peers (the
// meta-group size is in the system account's JSZ only), so this is what a
// client can see; ESCALATOR_REPLICAS overrides it.
func ClusterSize(nc *nats.Conn) int {
	if nc == nil || nc.ConnectedClusterName() == "" {
		return 1
	}
	hosts := map[string]bool{}
	for _, s := range nc.Servers() {
		if u, err := url.Parse(s); err == nil && u.Host != "" {
			hosts[u.Host] = true
		}
	}
	return max(1, len(hosts))
}

// Server error codes that provisioning explains (nats-server errors.json).
const (
	errCodeNoPeers             jetstream.ErrorCode = 10005 // no suitable peers for placement
	errCodeInsufficient        jetstream.ErrorCode = 10023 // insufficient resources
	errCodeStorageExceeded     jetstream.ErrorCode = 10047 // insufficient storage resources available
	errCodeReplicasUnsupported jetstream.ErrorCode = 10074 // replicas > 1 not supported in non-clustered mode
)

// provisionHint adds the setting to change to the errors a server gives
// when it cannot place or size a resource.
func provisionHint(err error) error {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return err
	}
	switch apiErr.ErrorCode {
	case errCodeReplicasUnsupported:
		return fmt.Errorf("%w (the NATS server is not clustered: set ESCALATOR_REPLICAS=1, or leave it unset)", err)
	case errCodeNoPeers, errCodeInsufficient:
		return fmt.Errorf("%w (the cluster cannot place this many replicas with this size: lower ESCALATOR_REPLICAS, ESCALATOR_STREAM_MAX_BYTES or ESCALATOR_DLQ_MAX_BYTES, or bring every JetStream server up)", err)
	case errCodeStorageExceeded:
		return fmt.Errorf("%w (the NATS server cannot reserve the streams' sizes: lower ESCALATOR_STREAM_MAX_BYTES or ESCALATOR_DLQ_MAX_BYTES, or raise the server's jetstream max_file_store)", err)
	}
	return err
}
