package consent

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
)

// Key is a secret the ledger's chain is keyed with: each record sealed
// with it carries its ID (Record.KeyID) and, as Hash, the HMAC-SHA256 of
// its canonical encoding under Secret. Whoever lacks the secret can read
// the chain and check that it hangs together, but cannot seal a record
// that Verify accepts with the key.
type Key struct {
	// ID names the key in the records sealed with it, so that keys can be
	// rotated: a short name such as "2026-12" (letters, digits, ., _, -).
	ID string
	// Secret is at least 32 random bytes.
	Secret []byte
}

// MinKeySize is the least number of bytes of a Key's Secret.
const MinKeySize = 32

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func (k Key) check() error {
	if !keyIDPattern.MatchString(k.ID) {
		return fmt.Errorf("ledger key id %q: must be 1 to 64 letters, digits, '.', '_' or '-'", k.ID)
	}
	if len(k.Secret) < MinKeySize {
		return fmt.Errorf("ledger key %s: the secret is %d bytes, fewer than %d", k.ID, len(k.Secret), MinKeySize)
	}
	return nil
}

// ErrKeyRequired is wrapped by the error of an append, by a store opened
// without keys, to a ledger whose last record was sealed with a key: the
// chain would continue unkeyed, which Verify with the keys reports as a
// downgrade.
var ErrKeyRequired = errors.New("the consent ledger is keyed: open the store with its keys")

// ErrUnknownKey is wrapped by the error of a KeyProvider asked for a key
// it does not hold.
var ErrUnknownKey = errors.New("unknown ledger key")

// KeyProvider gives the keys of a ledger's chain. A store seals new
// records with the current key; Verify and checkpoints look keys up by
// id, so that records sealed before a rotation still verify. Keyring
// implements it over keys read from a file or the environment; a KMS or
// secret manager can implement it too.
type KeyProvider interface {
	// CurrentKey returns the key new records are sealed with.
	CurrentKey(ctx context.Context) (Key, error)
	// Key returns the key with the id, or an error wrapping
	// ErrUnknownKey.
	Key(ctx context.Context, id string) (Key, error)
}

// Keyring is a KeyProvider over keys held in memory. The last key is the
// current one: rotate by adding a key at the end and keeping the old ones
// for as long as records sealed with them must verify.
type Keyring struct {
	keys []Key
}

var _ KeyProvider = (*Keyring)(nil)

// NewKeyring returns a keyring of the keys, the last current. It refuses
// no keys, a bad id, a short secret and an id given twice.
func NewKeyring(keys ...Key) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("ledger keyring: no keys")
	}
	seen := map[string]bool{}
	kr := &Keyring{}
	for _, k := range keys {
		if err := k.check(); err != nil {
			return nil, fmt.Errorf("ledger keyring: %w", err)
		}
		if seen[k.ID] {
			return nil, fmt.Errorf("ledger keyring: key id %s appears twice", k.ID)
		}
		seen[k.ID] = true
		kr.keys = append(kr.keys, Key{ID: k.ID, Secret: bytes.Clone(k.Secret)})
	}
	return kr, nil
}

// CurrentKey returns the last key.
func (kr *Keyring) CurrentKey(ctx context.Context) (Key, error) {
	return kr.keys[len(kr.keys)-1], ctx.Err()
}

// Key returns the key with the id.
func (kr *Keyring) Key(ctx context.Context, id string) (Key, error) {
	if err := ctx.Err(); err != nil {
		return Key{}, err
	}
	for _, k := range kr.keys {
		if k.ID == id {
			return k, nil
		}
	}
	return Key{}, fmt.Errorf("%w %q", ErrUnknownKey, id)
}

// ParseKeyring reads keys from text: one key per line (or per ';', for an
// environment variable), as an id, white space and the secret in hex (at
// least 64 hex digits); blank lines and lines starting with # are
// skipped. The last key is the current one. A file of keys is made with,
// for example:
//
//	echo "2026-12 $(openssl rand -hex 32)" >> ledger.keys
func ParseKeyring(text string) (*Keyring, error) {
	var keys []Key
	for i, line := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == ';' }) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("ledger keyring: entry %d: want an id and a hex secret", i+1)
		}
		secret, err := hex.DecodeString(f[1])
		if err != nil {
			return nil, fmt.Errorf("ledger keyring: key %q: the secret is not hex", f[0])
		}
		keys = append(keys, Key{ID: f[0], Secret: secret})
	}
	return NewKeyring(keys...)
}

// maxKeyFile is the most LoadKeyFile reads: 64 KiB is hundreds of keys.
const maxKeyFile = 64 << 10

// LoadKeyFile reads a keyring from the file at path, in ParseKeyring's
// form. It refuses a file larger than 64 KiB and, on systems with Unix
// permissions, a file that others than its owner and group may read.
func LoadKeyFile(path string) (*Keyring, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ledger key file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("ledger key file %s: %w", path, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("ledger key file %s: not a regular file", path)
	}
	if info.Mode().Perm()&0o004 != 0 {
		return nil, fmt.Errorf("ledger key file %s: anyone may read it (mode %v); chmod o-r it", path, info.Mode().Perm())
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("ledger key file %s: %w", path, err)
	}
	if len(b) > maxKeyFile {
		return nil, fmt.Errorf("ledger key file %s: larger than %d bytes", path, maxKeyFile)
	}
	kr, err := ParseKeyring(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return kr, nil
}

// EnvKeys is the environment variable KeysFromEnv reads by default.
const EnvKeys = "PRIVACY_LEDGER_KEYS"

// KeysFromEnv reads a keyring from the environment variable name (EnvKeys
// when name is ""), in ParseKeyring's form with entries separated by ';'.
// An unset or empty variable is an error.
func KeysFromEnv(name string) (*Keyring, error) {
	if name == "" {
		name = EnvKeys
	}
	v := os.Getenv(name)
	if strings.TrimSpace(v) == "" {
		return nil, fmt.Errorf("ledger keys: environment variable %s is not set", name)
	}
	if len(v) > maxKeyFile {
		return nil, fmt.Errorf("ledger keys: %s is longer than %d bytes", name, maxKeyFile)
	}
	kr, err := ParseKeyring(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return kr, nil
}

// SealingKey returns the key a store seals its next records with: the
// current key of keys, or nil, for sealing without a key, when keys is
// nil.
func SealingKey(ctx context.Context, keys KeyProvider) (*Key, error) {
	if keys == nil {
		return nil, nil
	}
	k, err := keys.CurrentKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("ledger key: %w", err)
	}
	return &k, nil
}

// mac returns the HMAC-SHA256 of msg under secret, in hex.
func mac(secret, msg []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(msg)
	return hex.EncodeToString(m.Sum(nil))
}
