// Package kubernetes_test checks the shape of the Kubernetes manifests in this
// directory: there is no cluster to apply them to in CI, so the test parses
// them and checks what mesa relies on — an Indexed Job whose MESA_SHARD_COUNT
// equals its completions, a merge Job without a shard, and both running the
// same `mesa sweep` on the same config and the same shared volume.
package kubernetes_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The parts of the Kubernetes objects the test looks at.
type object struct {
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	Metadata   metadata `yaml:"metadata"`
	Spec       yaml.Node
}

type metadata struct {
	Name string `yaml:"name"`
}

type pvcSpec struct {
	AccessModes []string `yaml:"accessModes"`
}

type jobSpec struct {
	CompletionMode string `yaml:"completionMode"`
	Completions    *int   `yaml:"completions"`
	Parallelism    *int   `yaml:"parallelism"`
	BackoffLimit   *int   `yaml:"backoffLimit"`
	Template       struct {
		Spec podSpec `yaml:"spec"`
	} `yaml:"template"`
}

type podSpec struct {
	RestartPolicy string      `yaml:"restartPolicy"`
	Containers    []container `yaml:"containers"`
	Volumes       []volume    `yaml:"volumes"`
}

type container struct {
	Name         string        `yaml:"name"`
	Image        string        `yaml:"image"`
	Command      []string      `yaml:"command"`
	Args         []string      `yaml:"args"`
	Env          []envVar      `yaml:"env"`
	VolumeMounts []volumeMount `yaml:"volumeMounts"`
}

type envVar struct {
	Name  string `yaml:"name"`
	Value string `yaml:"value"`
}

type volumeMount struct {
	Name      string `yaml:"name"`
	MountPath string `yaml:"mountPath"`
	ReadOnly  bool   `yaml:"readOnly"`
}

type volume struct {
	Name                  string `yaml:"name"`
	PersistentVolumeClaim *struct {
		ClaimName string `yaml:"claimName"`
	} `yaml:"persistentVolumeClaim"`
	ConfigMap *struct {
		Name string `yaml:"name"`
	} `yaml:"configMap"`
}

// load reads every document of a manifest file.
func load(t *testing.T, file string) ([]object, string) {
	t.Helper()
	text, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var objs []object
	dec := yaml.NewDecoder(bytes.NewReader(text))
	for {
		var o object
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if o.APIVersion == "" || o.Kind == "" || o.Metadata.Name == "" {
			t.Fatalf("%s: document %d lacks apiVersion, kind or metadata.name", file, len(objs))
		}
		objs = append(objs, o)
	}
	return objs, string(text)
}

func decodeSpec[T any](t *testing.T, o object) T {
	t.Helper()
	var s T
	if err := o.Spec.Decode(&s); err != nil {
		t.Fatalf("%s %s: spec: %v", o.Kind, o.Metadata.Name, err)
	}
	return s
}

// sweepRun is what a Job's container runs, and where.
type sweepRun struct {
	image, config, out string
	claim, configMap   string
	env                map[string]string
}

// checkSweepJob checks what both Jobs share: one container running
// `mesa sweep --config C --out D` with no --shard, D on a PersistentVolumeClaim
// and C on a ConfigMap, and returns it.
func checkSweepJob(t *testing.T, file string, o object, spec jobSpec) sweepRun {
	t.Helper()
	if o.APIVersion != "batch/v1" || o.Kind != "Job" {
		t.Fatalf("%s: %s %s, want batch/v1 Job", file, o.APIVersion, o.Kind)
	}
	pod := spec.Template.Spec
	if pod.RestartPolicy != "Never" && pod.RestartPolicy != "OnFailure" {
		t.Errorf("%s: restartPolicy %q, want Never or OnFailure (a Job requires one of them)", file, pod.RestartPolicy)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%s: %d containers, want 1", file, len(pod.Containers))
	}
	c := pod.Containers[0]
	argv := append(slices.Clone(c.Command), c.Args...)
	if len(argv) < 2 || path.Base(argv[0]) != "mesa" || argv[1] != "sweep" {
		t.Fatalf("%s: the container runs %q, want mesa sweep ...", file, argv)
	}
	r := sweepRun{image: c.Image, env: map[string]string{}}
	for i := 2; i < len(argv); i++ {
		flag := argv[i]
		switch flag {
		case "--config", "--out":
			if i+1 == len(argv) {
				t.Fatalf("%s: %s without a value", file, flag)
			}
			i++
			if flag == "--config" {
				r.config = argv[i]
			} else {
				r.out = argv[i]
			}
		case "--quiet":
		default:
			t.Errorf("%s: unexpected argument %q to mesa sweep (the shard comes from the environment)", file, flag)
		}
	}
	if r.config == "" || r.out == "" {
		t.Fatalf("%s: mesa sweep needs --config and --out, got %q", file, argv)
	}
	if c.Image == "" {
		t.Errorf("%s: the container has no image", file)
	}
	for _, e := range c.Env {
		r.env[e.Name] = e.Value
	}
	if _, ok := r.env["JOB_COMPLETION_INDEX"]; ok {
		t.Errorf("%s: sets JOB_COMPLETION_INDEX, which Kubernetes sets for Indexed Jobs", file)
	}

	volumes := map[string]volume{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = v
	}
	// mountOf returns the volume mounted at the longest mount path holding p.
	mountOf := func(p string) (volumeMount, volume) {
		var best volumeMount
		for _, m := range c.VolumeMounts {
			if (p == m.MountPath || strings.HasPrefix(p, strings.TrimSuffix(m.MountPath, "/")+"/")) &&
				len(m.MountPath) > len(best.MountPath) {
				best = m
			}
		}
		if best.Name == "" {
			t.Fatalf("%s: no volume is mounted over %s", file, p)
		}
		v, ok := volumes[best.Name]
		if !ok {
			t.Fatalf("%s: volumeMount %q names no volume", file, best.Name)
		}
		return best, v
	}
	m, v := mountOf(r.out)
	if v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName == "" {
		t.Fatalf("%s: the output directory %s is on volume %q, which is not a PersistentVolumeClaim", file, r.out, v.Name)
	}
	if m.ReadOnly {
		t.Errorf("%s: the output volume is mounted read-only", file)
	}
	r.claim = v.PersistentVolumeClaim.ClaimName
	_, v = mountOf(r.config)
	if v.ConfigMap == nil || v.ConfigMap.Name == "" {
		t.Fatalf("%s: the config %s is on volume %q, which is not a ConfigMap", file, r.config, v.Name)
	}
	r.configMap = v.ConfigMap.Name
	return r
}

func TestManifests(t *testing.T) {
	objs, sweepText := load(t, "sweep-job.yaml")
	var pvc, job *object
	for i := range objs {
		switch objs[i].Kind {
		case "PersistentVolumeClaim":
			pvc = &objs[i]
		case "Job":
			if job != nil {
				t.Fatal("sweep-job.yaml: more than one Job")
			}
			job = &objs[i]
		default:
			t.Errorf("sweep-job.yaml: unexpected %s %s", objs[i].Kind, objs[i].Metadata.Name)
		}
	}
	if pvc == nil || job == nil {
		t.Fatal("sweep-job.yaml: want a PersistentVolumeClaim and a Job")
	}
	if pvc.APIVersion != "v1" {
		t.Errorf("sweep-job.yaml: PersistentVolumeClaim apiVersion %q, want v1", pvc.APIVersion)
	}
	if modes := decodeSpec[pvcSpec](t, *pvc).AccessModes; !slices.Contains(modes, "ReadWriteMany") {
		t.Errorf("sweep-job.yaml: the claim's accessModes are %q; shards on several nodes need ReadWriteMany", modes)
	}

	spec := decodeSpec[jobSpec](t, *job)
	if spec.CompletionMode != "Indexed" {
		t.Errorf("sweep-job.yaml: completionMode %q, want Indexed", spec.CompletionMode)
	}
	if spec.Completions == nil || *spec.Completions < 1 {
		t.Fatal("sweep-job.yaml: an Indexed Job needs completions >= 1")
	}
	n := *spec.Completions
	if spec.Parallelism == nil || *spec.Parallelism < 1 || *spec.Parallelism > n {
		t.Errorf("sweep-job.yaml: parallelism must be between 1 and completions (%d)", n)
	}
	shards := checkSweepJob(t, "sweep-job.yaml", *job, spec)
	if got := shards.env["MESA_SHARD_COUNT"]; got != strconv.Itoa(n) {
		t.Errorf("sweep-job.yaml: MESA_SHARD_COUNT %q, want completions, %d", got, n)
	}
	if shards.claim != pvc.Metadata.Name {
		t.Errorf("sweep-job.yaml: the Job mounts claim %q, the file defines %q", shards.claim, pvc.Metadata.Name)
	}

	objs, mergeText := load(t, "merge-job.yaml")
	if len(objs) != 1 {
		t.Fatalf("merge-job.yaml: %d documents, want one Job", len(objs))
	}
	mspec := decodeSpec[jobSpec](t, objs[0])
	if mspec.CompletionMode != "" && mspec.CompletionMode != "NonIndexed" {
		t.Errorf("merge-job.yaml: completionMode %q: the merge is one process, not a shard", mspec.CompletionMode)
	}
	if (mspec.Completions != nil && *mspec.Completions != 1) || (mspec.Parallelism != nil && *mspec.Parallelism != 1) {
		t.Error("merge-job.yaml: completions and parallelism must be 1")
	}
	merge := checkSweepJob(t, "merge-job.yaml", objs[0], mspec)
	if _, ok := merge.env["MESA_SHARD_COUNT"]; ok {
		t.Error("merge-job.yaml: sets MESA_SHARD_COUNT; the merge must not be a shard")
	}
	for _, c := range []struct{ what, sweep, merge string }{
		{"image", shards.image, merge.image},
		{"--config", shards.config, merge.config},
		{"--out", shards.out, merge.out},
		{"claim", shards.claim, merge.claim},
		{"ConfigMap", shards.configMap, merge.configMap},
	} {
		if c.sweep != c.merge {
			t.Errorf("the Jobs differ in %s: sweep-job.yaml %q, merge-job.yaml %q", c.what, c.sweep, c.merge)
		}
	}

	// The commands in the files' comments name the objects the files define.
	both := sweepText + mergeText
	for _, want := range []string{
		"kubectl wait --for=condition=complete job/" + job.Metadata.Name,
		"kubectl wait --for=condition=complete job/" + objs[0].Metadata.Name,
		"kubectl create configmap " + shards.configMap + " --from-file=" + path.Base(shards.config) + "=",
	} {
		if !strings.Contains(both, want) {
			t.Errorf("the manifests' instructions lack %q", want)
		}
	}
}
