package faulttest

import (
	"context"
	"sync"
	"time"

	"github.com/relman-dev/relman/internal/faultproxy"
)

// DeadlineAfterFault returns a context that passes its deadline d after
// the proxy injects its first fault (a stall, say), however long the work
// before it took: a stalled step is then bounded by its context, as by a
// job's timeout, without a race between the deadline and a slow machine.
// Its Err is context.DeadlineExceeded then, or the parent's error.
func DeadlineAfterFault(parent context.Context, p *faultproxy.Proxy, d time.Duration) (context.Context, context.CancelFunc) {
	c := &faultDeadline{Context: parent, done: make(chan struct{}), stop: make(chan struct{})}
	go c.watch(p, d)
	return c, func() { c.finish(context.Canceled) }
}

type faultDeadline struct {
	context.Context // the parent
	done, stop      chan struct{}
	once            sync.Once
	mu              sync.Mutex
	err             error
}

func (c *faultDeadline) Done() <-chan struct{} { return c.done }

func (c *faultDeadline) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *faultDeadline) finish(err error) {
	c.once.Do(func() {
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
		close(c.done)
		close(c.stop)
	})
}

func (c *faultDeadline) watch(p *faultproxy.Proxy, d time.Duration) {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	var deadline <-chan time.Time
	for {
		select {
		case <-c.stop:
			return
		case <-c.Context.Done():
			c.finish(c.Context.Err())
			return
		case <-deadline:
			c.finish(context.DeadlineExceeded)
			return
		case <-tick.C:
			if deadline == nil && p.Injected() > 0 {
				deadline = time.After(d)
			}
		}
	}
}
