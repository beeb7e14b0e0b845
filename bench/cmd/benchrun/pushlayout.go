package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// pushImage is an OCI image layout on disk holding one fresh layer, the
// input of `crane push DIR REF`. A layout, not a tarball: crane then
// sends the files as they are, with digests known from the manifest, so
// the push measures the registries and not crane's gzip.
type pushImage struct {
	dir         string
	layer       string // "sha256:…"
	layerSize   int64
	manifestRef string // "sha256:…" of the manifest
}

// writePushImage writes a layout whose layer is size random bytes, new
// on every call, so no registry can have it already.
func writePushImage(dir string, size int64) (pushImage, error) {
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return pushImage{}, err
	}
	layer, err := writeRandomBlob(blobs, size)
	if err != nil {
		return pushImage{}, err
	}
	config, configSize, err := writeJSONBlob(blobs, map[string]any{
		"architecture": "amd64", "os": "linux",
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{layer}},
	})
	if err != nil {
		return pushImage{}, err
	}
	manifest, manifestSize, err := writeJSONBlob(blobs, map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": configSize},
		"layers": []any{map[string]any{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": size}},
	})
	if err != nil {
		return pushImage{}, err
	}
	index, _ := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
		"manifests": []any{map[string]any{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest, "size": manifestSize}},
	})
	if err := os.WriteFile(filepath.Join(dir, "index.json"), index, 0o644); err != nil {
		return pushImage{}, err
	}
	err = os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
	return pushImage{dir: dir, layer: layer, layerSize: size, manifestRef: manifest}, err
}

func writeRandomBlob(blobs string, size int64) (string, error) {
	tmp, err := os.CreateTemp(blobs, "layer-")
	if err != nil {
		return "", err
	}
	defer tmp.Close()
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(tmp, h), rand.Reader, size); err != nil {
		return "", err
	}
	hexsum := hex.EncodeToString(h.Sum(nil))
	return "sha256:" + hexsum, os.Rename(tmp.Name(), filepath.Join(blobs, hexsum))
}

func writeJSONBlob(blobs string, v any) (string, int64, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return "", 0, err
	}
	sum := sha256.Sum256(body)
	hexsum := hex.EncodeToString(sum[:])
	if err := os.WriteFile(filepath.Join(blobs, hexsum), body, 0o644); err != nil {
		return "", 0, fmt.Errorf("write blob: %w", err)
	}
	return "sha256:" + hexsum, int64(len(body)), nil
}
