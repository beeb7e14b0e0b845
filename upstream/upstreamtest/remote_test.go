package upstreamtest

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// TestRemotePull drives the Hub with go-containerregistry's client, which
// does the whole dance (ping, challenge, token, redirect to the CDN) and
// then checks every digest and diff_id.
func TestRemotePull(t *testing.T) {
	h, seeds := seeded(t, Options{})
	for ref, s := range seeds {
		t.Run(ref, func(t *testing.T) {
			r, err := name.ParseReference(h.Host()+"/"+ref, name.Insecure)
			if err != nil {
				t.Fatal(err)
			}
			desc, err := remote.Get(r)
			if err != nil {
				t.Fatal(err)
			}
			if desc.Digest != s.Digest || desc.MediaType != s.MediaType {
				t.Fatalf("got %s %s, want %s %s", desc.Digest, desc.MediaType, s.Digest, s.MediaType)
			}
			if desc.MediaType.IsIndex() {
				idx, err := desc.ImageIndex()
				if err != nil {
					t.Fatal(err)
				}
				err = validate.Index(idx)
			} else {
				img, err := desc.Image()
				if err != nil {
					t.Fatal(err)
				}
				err = validate.Image(img)
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
	c := h.Counts()
	if c.CDNAuthorized != 0 || c.CDNGets == 0 || c.Tokens == 0 {
		t.Errorf("counts %+v", c)
	}
}

// TestRemotePrivate checks a real client turns Basic credentials into a
// token that covers a private repository, and is refused without them.
func TestRemotePrivate(t *testing.T) {
	h := New(t, Options{Users: map[string]string{"bob": "pw"}})
	img, err := Image(1, 2048, true)
	if err != nil {
		t.Fatal(err)
	}
	h.AddImage("bob/secret", "v1", img)
	h.SetPrivate("bob/secret")
	r, err := name.ParseReference(h.Host()+"/bob/secret:v1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := remote.Image(r); err == nil {
		t.Fatal("anonymous pull of a private repo succeeded")
	}
	got, err := remote.Image(r, remote.WithAuth(&authn.Basic{Username: "bob", Password: "pw"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(got); err != nil {
		t.Fatal(err)
	}
}
