package validate

import (
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// natsValues are the keys of the official NATS Helm chart's values.yaml
// (nats-io/k8s, helm/charts/nats) that deploy/kubernetes/nats/values.yaml
// sets; a key the chart does not have is refused.
type natsValues struct {
	Config struct {
		Cluster struct {
			Enabled  bool `json:"enabled"`
			Replicas int  `json:"replicas"`
		} `json:"cluster"`
		JetStream struct {
			Enabled   bool `json:"enabled"`
			FileStore struct {
				Enabled bool   `json:"enabled"`
				Dir     string `json:"dir"`
				PVC     struct {
					Enabled          bool    `json:"enabled"`
					Size             string  `json:"size"`
					StorageClassName *string `json:"storageClassName,omitempty"`
				} `json:"pvc"`
			} `json:"fileStore"`
			MemoryStore struct {
				Enabled bool `json:"enabled"`
			} `json:"memoryStore"`
		} `json:"jetstream"`
		Monitor struct {
			Enabled bool `json:"enabled"`
			Port    int  `json:"port"`
		} `json:"monitor"`
	} `json:"config"`
	Container struct {
		Image struct {
			Tag string `json:"tag"`
		} `json:"image"`
		Env       map[string]string           `json:"env"`
		Resources corev1.ResourceRequirements `json:"resources"`
	} `json:"container"`
	PodTemplate struct {
		TopologySpreadConstraints map[string]struct {
			MaxSkew           int    `json:"maxSkew"`
			WhenUnsatisfiable string `json:"whenUnsatisfiable"`
		} `json:"topologySpreadConstraints"`
	} `json:"podTemplate"`
	Service struct {
		Ports map[string]struct {
			Enabled bool `json:"enabled"`
		} `json:"ports"`
	} `json:"service"`
	PodDisruptionBudget struct {
		Enabled bool `json:"enabled"`
	} `json:"podDisruptionBudget"`
	PromExporter struct {
		Enabled    bool `json:"enabled"`
		PodMonitor struct {
			Enabled bool `json:"enabled"`
		} `json:"podMonitor"`
	} `json:"promExporter"`
	NatsBox struct {
		Enabled bool `json:"enabled"`
	} `json:"natsBox"`
}

// The chart's release and namespace the manifests assume.
const (
	natsRelease   = "nats"
	natsNamespace = "nats"
)

func readNATSValues(t *testing.T) natsValues {
	t.Helper()
	path := deployPath("kubernetes", "nats", "values.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v natsValues
	strictYAML(t, path, b, &v)
	return v
}

func TestNATSValues(t *testing.T) {
	v := readNATSValues(t)
	c := v.Config
	switch {
	case !c.Cluster.Enabled || c.Cluster.Replicas != 3:
		t.Errorf("cluster enabled %v with %d replicas, want a 3-node cluster", c.Cluster.Enabled, c.Cluster.Replicas)
	case !c.JetStream.Enabled || !c.JetStream.FileStore.Enabled || !c.JetStream.FileStore.PVC.Enabled:
		t.Error("JetStream must be on with file storage on a PVC")
	case c.JetStream.MemoryStore.Enabled:
		t.Error("the memory store would lose events on a restart")
	case !c.Monitor.Enabled:
		t.Error("the monitoring endpoint (KEDA's source) is off")
	case v.Container.Image.Tag == "" || v.Container.Image.Tag == "latest":
		t.Errorf("NATS image tag %q is not pinned", v.Container.Image.Tag)
	}
	if _, ok := v.Container.Resources.Limits[corev1.ResourceMemory]; !ok {
		t.Error("NATS has no memory limit")
	}
}

// checkMonitoringEndpoint: KEDA reads the chart's headless service on the
// monitor port, so in a cluster it can reach each server as
// <pod>.<endpoint>.
func checkMonitoringEndpoint(t *testing.T, endpoint string) {
	t.Helper()
	v := readNATSValues(t)
	host, port, err := net.SplitHostPort(endpoint)
	if err != nil {
		t.Fatalf("natsServerMonitoringEndpoint %q is not host:port", endpoint)
	}
	want := natsRelease + "-headless." + natsNamespace + ".svc.cluster.local"
	if host != want || port != strconv.Itoa(v.Config.Monitor.Port) {
		t.Errorf("natsServerMonitoringEndpoint %s, want %s:%d (the chart's headless service, monitor port)", endpoint, want, v.Config.Monitor.Port)
	}
}

// TestNATSURLsNameEveryServer: ESCALATOR_NATS_URL lists every server of the
// chart's StatefulSet by its stable name, on the client port.
func TestNATSURLsNameEveryServer(t *testing.T) {
	v := readNATSValues(t)
	cfg := readEnvFile(t, deployPath("kubernetes", "base", "config.env"))
	urls := strings.Split(cfg["ESCALATOR_NATS_URL"], ",")
	if len(urls) != v.Config.Cluster.Replicas {
		t.Fatalf("ESCALATOR_NATS_URL has %d servers, the cluster %d", len(urls), v.Config.Cluster.Replicas)
	}
	for i, s := range urls {
		u, err := url.Parse(s)
		want := natsRelease + "-" + strconv.Itoa(i) + "." + natsRelease + "-headless." + natsNamespace + ".svc.cluster.local:4222"
		if err != nil || u.Scheme != "nats" || u.Host != want {
			t.Errorf("server %d is %q, want nats://%s", i, s, want)
		}
	}
}
