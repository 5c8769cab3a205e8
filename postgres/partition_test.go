package postgres_test

import (
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/privacykit/privacy/internal/pgtest"
	"github.com/privacykit/privacy/postgres"
	"github.com/privacykit/privacy/stateview"
	"github.com/privacykit/privacy/subject"
)

// proxy forwards TCP connections from 127.0.0.1 to a target. Freeze stops
// forwarding one connection in both directions without closing it: a
// network partition that drops packets and closes nothing.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	pipes  []*pipe
	done   chan struct{}
}

type pipe struct {
	client, server net.Conn
	frozen         chan struct{} // closed when frozen
	once           sync.Once
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy: %v", err)
	}
	p := &proxy{ln: ln, target: target, done: make(chan struct{})}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		close(p.done)
		ln.Close()
		p.mu.Lock()
		for _, pp := range p.pipes {
			pp.client.Close()
			pp.server.Close()
		}
		p.mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			pp := &pipe{client: c, server: s, frozen: make(chan struct{})}
			p.mu.Lock()
			p.pipes = append(p.pipes, pp)
			p.mu.Unlock()
			wg.Go(func() { p.forward(pp, c, s) })
			wg.Go(func() { p.forward(pp, s, c) })
		}
	})
	return p
}

// forward copies from src to dst until either closes; once the pipe is
// frozen it holds what it read and forwards nothing more.
func (p *proxy) forward(pp *pipe, src, dst net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		select {
		case <-pp.frozen:
			<-p.done // swallow: the peer sees silence, not a close
			return
		default:
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				return
			}
			dst.Close()
			return
		}
	}
}

// accepted returns how many connections the proxy has accepted.
func (p *proxy) accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pipes)
}

// freeze partitions the i-th accepted connection.
func (p *proxy) freeze(t *testing.T, i int) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if i >= len(p.pipes) {
		t.Fatalf("proxy: connection %d not accepted (%d so far)", i, len(p.pipes))
	}
	pp := p.pipes[i]
	pp.once.Do(func() { close(pp.frozen) })
}

// proxied returns the DSN of a schema of the test's own and a proxy to
// its server.
func proxied(t *testing.T) (string, *proxy) {
	t.Helper()
	dsn := pgtest.DSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("DSN: %v", err)
	}
	return dsn, newProxy(t, u.Host)
}

// dsn returns dsn with its host replaced by the proxy's address.
func (p *proxy) dsn(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("DSN: %v", err)
	}
	u.Host = p.ln.Addr().String()
	return u.String()
}

// TestViewNoticesSilentPartition partitions the view's LISTEN connection
// without closing it (issue 13, item 5: unbounded stale answers): a change
// made meanwhile through another DB must reach the view's readers within
// the view's MaxStaleness, by reading through, and the view must listen
// again on a new connection.
func TestViewNoticesSilentPartition(t *testing.T) {
	t.Parallel()
	dsn, px := proxied(t)
	replica, other := open(t, px.dsn(t, dsn)), open(t, dsn)
	listener := px.accepted() // the next connection is the view's own
	v, err := replica.View(t.Context(), stateview.WithMaxStaleness(300*time.Millisecond))
	if err != nil {
		t.Fatalf("View: %v", err)
	}
	if px.accepted() <= listener {
		t.Fatalf("View opened no connection through the proxy")
	}
	states := v.Subjects()
	eventually(t, "the subject is not answered from memory", func() bool {
		hits := v.Stats().Hits
		if _, err := states.State(t.Context(), "u-1"); err != nil {
			t.Fatalf("State: %v", err)
		}
		return v.Stats().Hits > hits
	})

	px.freeze(t, listener)
	if err := subject.ObjectToDirectMarketing(t.Context(), other.StateStore(), "u-1"); err != nil {
		t.Fatalf("Object: %v", err)
	}
	eventually(t, "the objection made during the partition never reaches the view's readers", func() bool {
		st, err := states.State(t.Context(), "u-1")
		if err != nil {
			t.Fatalf("State: %v", err)
		}
		return st.ObjectsTo("", true)
	})
	eventually(t, "the view does not listen again after the partition", func() bool {
		return v.Live() && px.accepted() > listener+1
	})
}

// TestWatchClosesOnSilentPartition partitions the ledger watcher's LISTEN
// connection without closing it: the watch channel must close, telling
// its reader that changes may have been missed, instead of staying open
// and silent.
func TestWatchClosesOnSilentPartition(t *testing.T) {
	t.Parallel()
	dsn, px := proxied(t)
	db := open(t, px.dsn(t, dsn), postgres.WithWatchHeartbeat(100*time.Millisecond))
	listener := px.accepted()
	ch, err := db.ConsentStore().Watch(t.Context())
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	px.freeze(t, listener)
	select {
	case _, ok := <-ch:
		for ok {
			_, ok = <-ch
		}
	case <-time.After(30 * time.Second):
		t.Fatal("after 30s the watch channel of a partitioned connection is still open")
	}
}
