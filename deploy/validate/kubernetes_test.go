package validate

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/worker"
)

// manifests are the objects of the base and the overlay, decoded strictly
// into their Kubernetes API types.
type manifests struct {
	deployments map[string]*appsv1.Deployment
	services    map[string]*corev1.Service
	pdbs        map[string]*policyv1.PodDisruptionBudget
	scaled      map[string]*scaledObject
	accounts    map[string]*corev1.ServiceAccount
	namespaces  map[string]*corev1.Namespace
	patches     map[string]*appsv1.Deployment // overlay patches by target name
	config      map[string]string             // base config.env merged with the overlay's
	base, over  kustomization
}

// kinds maps apiVersion/kind to a new typed object.
var kinds = map[string]func() any{
	"apps/v1/Deployment":            func() any { return &appsv1.Deployment{} },
	"v1/Service":                    func() any { return &corev1.Service{} },
	"v1/ServiceAccount":             func() any { return &corev1.ServiceAccount{} },
	"v1/Namespace":                  func() any { return &corev1.Namespace{} },
	"policy/v1/PodDisruptionBudget": func() any { return &policyv1.PodDisruptionBudget{} },
	"keda.sh/v1alpha1/ScaledObject": func() any { return &scaledObject{} },
}

func loadManifests(t *testing.T) *manifests {
	t.Helper()
	m := &manifests{
		deployments: map[string]*appsv1.Deployment{}, services: map[string]*corev1.Service{},
		pdbs: map[string]*policyv1.PodDisruptionBudget{}, scaled: map[string]*scaledObject{},
		accounts: map[string]*corev1.ServiceAccount{}, namespaces: map[string]*corev1.Namespace{},
		patches: map[string]*appsv1.Deployment{},
	}
	baseDir, overDir := deployPath("kubernetes", "base"), deployPath("kubernetes", "overlays", "example")
	m.base, m.over = readKustomization(t, baseDir), readKustomization(t, overDir)
	for _, dir := range []string{baseDir, overDir} {
		k := readKustomization(t, dir)
		for _, r := range k.Resources {
			if st, err := os.Stat(filepath.Join(dir, r)); err == nil && st.IsDir() {
				continue
			}
			m.decodeFile(t, filepath.Join(dir, r))
		}
		for _, p := range k.Patches {
			path := filepath.Join(dir, p.Path)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var d appsv1.Deployment
			strictYAML(t, path, b, &d)
			m.patches[d.Name] = &d
		}
	}
	m.config = map[string]string{}
	for _, dir := range []string{baseDir, overDir} {
		for _, g := range readKustomization(t, dir).ConfigMapGenerator {
			for _, env := range g.Envs {
				for k, v := range readEnvFile(t, filepath.Join(dir, env)) {
					m.config[k] = v
				}
			}
		}
	}
	return m
}

func (m *manifests) decodeFile(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, doc := range yamlDocs(b) {
		where := path + "#" + strconv.Itoa(i)
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		newObj, ok := kinds[tm.APIVersion+"/"+tm.Kind]
		if !ok {
			t.Fatalf("%s: unexpected %s %s", where, tm.APIVersion, tm.Kind)
		}
		obj := newObj()
		strictYAML(t, where, doc, obj)
		switch o := obj.(type) {
		case *appsv1.Deployment:
			m.deployments[o.Name] = o
		case *corev1.Service:
			m.services[o.Name] = o
		case *policyv1.PodDisruptionBudget:
			m.pdbs[o.Name] = o
		case *scaledObject:
			m.scaled[o.Name] = o
		case *corev1.ServiceAccount:
			m.accounts[o.Name] = o
		case *corev1.Namespace:
			m.namespaces[o.Name] = o
		}
	}
}

// role is a Deployment's expected shape: its serve flag and ports.
type role struct {
	deployment, arg, component string
	ports                      []string
}

var roles = []role{
	{"escalator-ingest", "--worker=false", "ingest", []string{"ingest", "admin"}},
	{"escalator-worker", "--ingest=false", "worker", []string{"admin"}},
}

func TestKubernetesManifests(t *testing.T) {
	m := loadManifests(t)
	if len(m.deployments) != 2 || len(m.services) != 1 || len(m.pdbs) != 2 || len(m.scaled) != 1 {
		t.Fatalf("objects: %d deployments, %d services, %d PDBs, %d ScaledObjects; want 2, 1, 2, 1",
			len(m.deployments), len(m.services), len(m.pdbs), len(m.scaled))
	}
	for _, r := range roles {
		t.Run(r.component, func(t *testing.T) {
			d := m.deployments[r.deployment]
			if d == nil {
				t.Fatalf("no Deployment %s", r.deployment)
			}
			checkDeployment(t, m, d, r)
		})
	}
	t.Run("service selects the ingest pods", func(t *testing.T) {
		for _, s := range m.services {
			sel := labels.SelectorFromSet(s.Spec.Selector)
			if !sel.Matches(labels.Set(m.deployments["escalator-ingest"].Spec.Template.Labels)) ||
				sel.Matches(labels.Set(m.deployments["escalator-worker"].Spec.Template.Labels)) {
				t.Errorf("Service %s selector %v must select the ingest pods only", s.Name, s.Spec.Selector)
			}
			ingest := m.deployments["escalator-ingest"].Spec.Template.Spec.Containers[0]
			for _, p := range s.Spec.Ports {
				if _, ok := containerPort(ingest, p.TargetPort.String()); !ok {
					t.Errorf("Service %s port %s targets %s, which the ingest container does not have", s.Name, p.Name, p.TargetPort.String())
				}
			}
		}
	})
	t.Run("each PDB selects one Deployment's pods", func(t *testing.T) {
		for _, p := range m.pdbs {
			sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
			if err != nil {
				t.Fatalf("PDB %s: %v", p.Name, err)
			}
			var matched []string
			for _, d := range m.deployments {
				if sel.Matches(labels.Set(d.Spec.Template.Labels)) {
					matched = append(matched, d.Name)
				}
			}
			if len(matched) != 1 || matched[0] != p.Name {
				t.Errorf("PDB %s selects %v, want exactly the Deployment of its name", p.Name, matched)
			}
			if p.Spec.MinAvailable == nil && p.Spec.MaxUnavailable == nil {
				t.Errorf("PDB %s sets neither minAvailable nor maxUnavailable", p.Name)
			}
		}
	})
	t.Run("overlay patches existing Deployments", func(t *testing.T) {
		for name := range m.patches {
			if m.deployments[name] == nil {
				t.Errorf("the overlay patches %s, which the base does not define", name)
			}
		}
		if len(m.namespaces) != 1 || m.namespaces[m.over.Namespace] == nil {
			t.Errorf("the overlay's namespace %q must be one of its resources", m.over.Namespace)
		}
	})
}

func checkDeployment(t *testing.T, m *manifests, d *appsv1.Deployment, r role) {
	t.Helper()
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil || sel.Empty() || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("selector %v does not match the pod template's labels %v (%v)", d.Spec.Selector, d.Spec.Template.Labels, err)
	}
	if d.Spec.Template.Labels["app.kubernetes.io/component"] != r.component {
		t.Errorf("pod label app.kubernetes.io/component = %q, want %q", d.Spec.Template.Labels["app.kubernetes.io/component"], r.component)
	}
	pod := d.Spec.Template.Spec
	if pod.ServiceAccountName == "" || m.accounts[pod.ServiceAccountName] == nil {
		t.Errorf("service account %q is not defined", pod.ServiceAccountName)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("the pod mounts a Kubernetes API token it never uses")
	}
	if psc := pod.SecurityContext; psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Error("pod securityContext.runAsNonRoot is not true")
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	if len(c.Args) != 2 || c.Args[0] != "serve" || c.Args[1] != r.arg {
		t.Errorf("args %v, want [serve %s]", c.Args, r.arg)
	}
	checkSecurity(t, c)
	checkResources(t, c)
	checkProbes(t, c)
	checkPorts(t, m, c, r)
	checkEnv(t, m, pod, c)
	checkGrace(t, m, pod, c, r)
	if r.component == "worker" {
		if d.Spec.Replicas != nil {
			t.Error("the worker Deployment sets replicas, which would fight KEDA's")
		}
		checkScaledObject(t, m, d)
	}
}

func checkSecurity(t *testing.T, c corev1.Container) {
	t.Helper()
	sc := c.SecurityContext
	switch {
	case sc == nil:
		t.Fatal("container has no securityContext")
	case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
		t.Error("root filesystem is not read-only")
	case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
		t.Error("privilege escalation is allowed")
	case sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL":
		t.Error("capabilities are not all dropped")
	}
}

func checkResources(t *testing.T, c corev1.Container) {
	t.Helper()
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, okReq := c.Resources.Requests[res]
		lim, okLim := c.Resources.Limits[res]
		if !okReq || !okLim {
			t.Errorf("%s: request and limit both required", res)
			continue
		}
		if req.Cmp(lim) > 0 {
			t.Errorf("%s: request %s above limit %s", res, req.String(), lim.String())
		}
	}
}

func checkProbes(t *testing.T, c corev1.Container) {
	t.Helper()
	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{{"startup", c.StartupProbe, "/healthz"}, {"liveness", c.LivenessProbe, "/healthz"}, {"readiness", c.ReadinessProbe, "/readyz"}} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("%s probe: none, or not an HTTP GET", p.name)
			continue
		}
		if p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port.String() != "admin" {
			t.Errorf("%s probe GETs %s on %s, want %s on the admin port", p.name, p.probe.HTTPGet.Path, p.probe.HTTPGet.Port.String(), p.path)
		}
	}
}

// checkPorts: the container's named ports are the listeners' ports of the
// configuration (or the binary's defaults).
func checkPorts(t *testing.T, m *manifests, c corev1.Container, r role) {
	t.Helper()
	known := knownVars(t)
	addr := func(variable string) string {
		if v, ok := m.config[variable]; ok {
			return v
		}
		return known[variable].Default
	}
	want := map[string]string{"ingest": addr("ESCALATOR_INGEST_ADDR"), "admin": addr("ESCALATOR_ADMIN_ADDR")}
	var names []string
	for _, p := range c.Ports {
		names = append(names, p.Name)
	}
	if strings.Join(names, ",") != strings.Join(r.ports, ",") {
		t.Errorf("ports %v, want %v", names, r.ports)
	}
	for _, name := range r.ports {
		p, _ := containerPort(c, name)
		_, port, err := net.SplitHostPort(want[name])
		if err != nil || strconv.Itoa(int(p)) != port {
			t.Errorf("port %s is %d, but the process listens on %q", name, p, want[name])
		}
	}
}

func containerPort(c corev1.Container, name string) (int32, bool) {
	for _, p := range c.Ports {
		if p.Name == name || strconv.Itoa(int(p.ContainerPort)) == name {
			return p.ContainerPort, true
		}
	}
	return 0, false
}

// checkEnv: every variable is one `escalator serve` reads; secrets come
// only as files from the Secret, whose keys the overlay generates.
func checkEnv(t *testing.T, m *manifests, pod corev1.PodSpec, c corev1.Container) {
	t.Helper()
	known := knownVars(t)
	for k, v := range m.config {
		if kv, ok := checkVar(t, known, "config.env", "serve", k); ok && kv.Secret && !strings.HasSuffix(k, "_FILE") {
			t.Errorf("config.env: %s is a secret: mount it from the Secret with %s_FILE", k, k)
		} else if !ok && !strings.HasPrefix(k, "ESCALATOR_") {
			t.Errorf("config.env: %s=%s is not an ESCALATOR_* variable", k, v)
		}
	}
	mounts := map[string]corev1.VolumeMount{}
	for _, vm := range c.VolumeMounts {
		mounts[vm.Name] = vm
	}
	secretFiles := m.over.secretFiles(t)
	for _, e := range c.Env {
		kv, ok := checkVar(t, known, "env", "serve", e.Name)
		if !ok {
			if e.Name != "GOMEMLIMIT" && !strings.HasPrefix(e.Name, "OTEL_") {
				t.Errorf("env %s is neither an Escalator variable nor GOMEMLIMIT/OTEL_*", e.Name)
			}
			continue
		}
		if !strings.HasSuffix(e.Name, "_FILE") {
			if kv.Secret {
				t.Errorf("env %s is a secret given as a value: use %s_FILE", e.Name, e.Name)
			}
			continue
		}
		if !kv.Secret && e.Name != "ESCALATOR_REDIS_URL_FILE" { // a Redis URL may carry a password
			t.Errorf("env %s reads a file for a variable that is not secret", e.Name)
		}
		key, ok := secretKeyOf(pod, mounts, e.Value)
		if !ok {
			t.Errorf("env %s=%s is not a file of a mounted Secret", e.Name, e.Value)
			continue
		}
		if _, ok := secretFiles[key]; !ok {
			t.Errorf("env %s reads Secret key %s, which the overlay's secretGenerator does not make (it makes %v)", e.Name, key, keys(secretFiles))
		}
	}
}

// secretKeyOf is the Secret key behind file path, through a volume mount.
func secretKeyOf(pod corev1.PodSpec, mounts map[string]corev1.VolumeMount, path string) (string, bool) {
	for _, v := range pod.Volumes {
		vm, ok := mounts[v.Name]
		if !ok || v.Secret == nil || !strings.HasPrefix(path, vm.MountPath+"/") {
			continue
		}
		rel := strings.TrimPrefix(path, vm.MountPath+"/")
		if len(v.Secret.Items) == 0 {
			return rel, true
		}
		for _, it := range v.Secret.Items {
			if it.Path == rel {
				return it.Key, true
			}
		}
	}
	return "", false
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// telemetryFlush is runApp's bound on flushing telemetry after App.Run.
const telemetryFlush = 5 * time.Second

// checkGrace: SIGKILL never cuts the drain short. The grace period covers
// preStop, then the longest shutdown of the role: the worker's drain and
// settle (the worker package's defaults), ingest's shutdown timeout (the
// configured ESCALATOR_INGEST_SHUTDOWN_TIMEOUT), and the telemetry flush.
func checkGrace(t *testing.T, m *manifests, pod corev1.PodSpec, c corev1.Container, r role) {
	t.Helper()
	if pod.TerminationGracePeriodSeconds == nil {
		t.Fatal("terminationGracePeriodSeconds is not set")
	}
	grace := time.Duration(*pod.TerminationGracePeriodSeconds) * time.Second
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
		t.Fatal("no preStop sleep: the distroless image has no shell, so the sleep action is the only preStop")
	}
	need := time.Duration(c.Lifecycle.PreStop.Sleep.Seconds)*time.Second + telemetryFlush
	switch r.component {
	case "worker":
		need += worker.DefaultDrainTimeout + worker.DefaultSettleTimeout
	case "ingest":
		d, err := time.ParseDuration(m.config["ESCALATOR_INGEST_SHUTDOWN_TIMEOUT"])
		if err != nil {
			t.Fatalf("ESCALATOR_INGEST_SHUTDOWN_TIMEOUT in config.env: %v", err)
		}
		need += d
	}
	if grace <= need {
		t.Errorf("terminationGracePeriodSeconds %s is not above preStop + drain + flush = %s", grace, need)
	}
}

func checkScaledObject(t *testing.T, m *manifests, d *appsv1.Deployment) {
	t.Helper()
	var so *scaledObject
	for _, s := range m.scaled {
		if s.Spec.ScaleTargetRef.Name == d.Name {
			so = s
		}
	}
	if so == nil {
		t.Fatalf("no ScaledObject targets %s", d.Name)
	}
	ref := so.Spec.ScaleTargetRef
	if (ref.Kind != "" && ref.Kind != "Deployment") || (ref.APIVersion != "" && ref.APIVersion != "apps/v1") {
		t.Errorf("ScaledObject targets %s %s, want apps/v1 Deployment", ref.APIVersion, ref.Kind)
	}
	if so.Spec.MinReplicaCount == nil || *so.Spec.MinReplicaCount < 1 {
		t.Error("minReplicaCount must be at least 1: workers run the scheduled ticks")
	}
	if so.Spec.MaxReplicaCount == nil || *so.Spec.MaxReplicaCount < *so.Spec.MinReplicaCount {
		t.Error("maxReplicaCount missing or below minReplicaCount")
	}
	if len(so.Spec.Triggers) != 1 || so.Spec.Triggers[0].Type != "nats-jetstream" {
		t.Fatalf("triggers %+v, want one nats-jetstream", so.Spec.Triggers)
	}
	md := so.Spec.Triggers[0].Metadata
	for k := range md {
		if _, ok := natsJetStreamMetadata[k]; !ok {
			t.Errorf("trigger metadata %s is not a field of the nats-jetstream scaler", k)
		}
	}
	for k, required := range natsJetStreamMetadata {
		if _, ok := md[k]; required && !ok {
			t.Errorf("trigger metadata lacks %s", k)
		}
	}
	if md["stream"] != streams.StreamName || md["consumer"] != streams.ConsumerName {
		t.Errorf("trigger reads stream %q consumer %q, want %s / %s", md["stream"], md["consumer"], streams.StreamName, streams.ConsumerName)
	}
	for _, k := range []string{"lagThreshold", "activationLagThreshold"} {
		if v, ok := md[k]; ok {
			if n, err := strconv.Atoi(v); err != nil || n < 0 {
				t.Errorf("%s %q is not a count", k, v)
			}
		}
	}
	checkMonitoringEndpoint(t, md["natsServerMonitoringEndpoint"])
}
