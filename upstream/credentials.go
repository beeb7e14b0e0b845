package upstream

// Credentials supply the account the mirror exchanges for tokens. The
// client asks at every exchange rather than once, so a secret that rotates
// (an ECR token lasts 12 h, a GAR one 1 h) is used as soon as its source
// has it, without a restart. An empty username means anonymous.
type Credentials interface {
	Credentials() (username, password string, err error)
}

// Account is a fixed username and password.
type Account struct{ Username, Password string }

// Credentials returns the account as it is.
func (a Account) Credentials() (string, string, error) { return a.Username, a.Password, nil }

// account asks the configured source, if any, for the current account.
func (c *Client) account() (username, password string, err error) {
	if c.creds == nil {
		return "", "", nil
	}
	return c.creds.Credentials()
}
