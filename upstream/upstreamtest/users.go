package upstreamtest

import "sync"

// users is the token service's account table. It can change while the Hub
// serves, because registries rotate secrets (ECR, GAR tokens) and a mirror
// must follow.
type users struct {
	mu     sync.RWMutex
	byName map[string]string
}

func (u *users) init(initial map[string]string) {
	u.byName = make(map[string]string, len(initial))
	for name, pass := range initial {
		u.byName[name] = pass
	}
}

func (u *users) check(name, pass string) bool {
	u.mu.RLock()
	defer u.mu.RUnlock()
	want, ok := u.byName[name]
	return ok && want == pass
}

// SetUser adds an account or changes its password; from then on the token
// service refuses the old one, as a registry does after a rotation.
func (h *Hub) SetUser(name, password string) {
	h.users.mu.Lock()
	defer h.users.mu.Unlock()
	h.users.byName[name] = password
}
