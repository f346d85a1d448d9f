package sqlite

// Group commit.
//
// With synchronous=FULL every COMMIT waits for an fsync of the WAL, and on
// most storage that wait, not SQLite, bounds how many Updates a second one
// connection can make durable. So Updates that arrive while a commit is in
// progress share the next one: Update queues a request, and one writer
// goroutine takes every request queued at that moment (at most maxBatch; it
// never waits for more to arrive) and runs them in ONE transaction:
//
//	BEGIN IMMEDIATE
//	SAVEPOINT fn; <fn 1>; RELEASE fn          -- fn 1 returned nil
//	SAVEPOINT fn; <fn 2>; ROLLBACK TO fn; RELEASE fn -- fn 2 failed: only its writes vanish
//	SAVEPOINT fn; <fn 3>; RELEASE fn
//	COMMIT                                   -- one fsync for fns 1 and 3
//
// and then tells every caller whose fn was kept the outcome of that COMMIT.
// The fns of a batch run one after another on the one writer connection,
// each seeing what the earlier ones wrote, so Updates stay serializable
// exactly as before (no lost updates, no write skew); batching only moves
// their commit points together. Each fn has its own savepoint (they are
// never nested, so one name serves); a batch of one needs none.
//
// fn runs in the caller's goroutine, not the writer's: the writer opens the
// savepoint and hands the transaction over, the caller runs fn and hands it
// back. A panic or runtime.Goexit (t.FailNow) in fn therefore unwinds the
// caller's own stack as it always did; on its way out the caller tells the
// writer, which rolls back that fn's savepoint and goes on with the batch.
//
// A lone Update does not wait for anything: when the writer is idle and
// nothing is queued, Update runs its transaction itself, in the calling
// goroutine (updateAlone), and Updates arriving meanwhile queue for the
// writer. There are no timers: a batch is whatever queued while the
// previous transaction ran.
//
// Outcomes, for one caller:
//
//   - ctx ends while the request waits in the queue, or before its fn
//     starts: Update returns ctx's error and fn never runs.
//   - ctx ends while fn runs: Tx methods called after that fail with ctx's
//     error without touching the database, and when fn returns (whatever it
//     returns) its savepoint is rolled back and Update returns an error.
//     Statements themselves are not interrupted: interrupting a write
//     statement makes SQLite roll back the whole transaction, which would
//     take the rest of the batch with it.
//   - fn returned nil and ctx was still live: the writes are in the batch,
//     and Update waits for the COMMIT whatever ctx does, then returns its
//     result. nil means on stable storage; an error means not kept.
//   - fn returned an error (or panicked): its savepoint is rolled back and
//     Update returns that error (or re-panics) without waiting for the
//     COMMIT; its writes are never part of it.
//   - COMMIT fails: every caller whose fn was kept gets the error (matching
//     ErrUnavailable when the cause is I/O, busy, full disk...), and nothing
//     of the batch is kept. Busy errors are retried by Update as before.
//   - A statement fails in a way that may have ended the whole transaction
//     (I/O error, disk full, out of memory; anything but a constraint or
//     argument error): the Tx refuses further statements, so nothing can run
//     in autocommit mode behind the batch's back, and that fn's Update fails.
//     If its savepoint can no longer be rolled back the transaction is gone:
//     every earlier fn of the batch gets the error too (their writes are not
//     kept) and the later ones run in a fresh transaction.

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"

	"github.com/connectfed/connectfed"
)

// maxBatch bounds the Updates one COMMIT carries, so that a long queue still
// reaches stable storage in steps and the savepoint journal stays small.
const maxBatch = 128

// Request states. The writer moves a request from queued to claimed before
// it runs fn; a caller whose ctx ends moves it from queued to abandoned and
// returns. Exactly one of the two wins.
const (
	reqQueued int32 = iota
	reqClaimed
	reqAbandoned
)

// request is one Update waiting for, or taking, its turn.
type request struct {
	ctx   context.Context
	fn    func(connectfed.Tx) error
	state atomic.Int32
	// toCaller carries either the transaction, when it is the caller's turn
	// to run fn, or the final result (t == nil). Capacity 1: the writer
	// never blocks on a caller.
	toCaller chan turn
	// toWriter carries what became of fn. Capacity 1.
	toWriter chan fnOutcome
}

type turn struct {
	t   *tx   // the caller's turn: run fn on t
	err error // the final result, when t is nil
}

type fnOutcome struct {
	err       error
	abandoned bool // fn panicked or called runtime.Goexit; the caller is gone
}

func (r *request) claim() bool { return r.state.CompareAndSwap(reqQueued, reqClaimed) }

func (r *request) finish(err error) { r.toCaller <- turn{err: err} }

// update runs fn once: alone if the writer is idle, else queue it, wait for
// its turn, run it, wait for the outcome.
func (db *DB) update(ctx context.Context, fn func(connectfed.Tx) error) error {
	if db.closed.Load() {
		return errClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	db.mu.Lock()
	if db.stopping {
		db.mu.Unlock()
		return errClosed
	}
	if !db.busy && len(db.queue) == 0 {
		db.busy = true
		db.mu.Unlock()
		return db.updateAlone(ctx, fn)
	}
	r := &request{ctx: ctx, fn: fn, toCaller: make(chan turn, 1), toWriter: make(chan fnOutcome, 1)}
	db.queue = append(db.queue, r)
	db.mu.Unlock()
	db.signal()
	var m turn
	select {
	case m = <-r.toCaller:
	case <-ctx.Done():
		if r.state.CompareAndSwap(reqQueued, reqAbandoned) {
			return ctx.Err() // the writer will skip it; fn never runs
		}
		m = <-r.toCaller // claimed: the writer answers promptly
	}
	if m.t == nil {
		return m.err
	}
	return r.run(m.t)
}

// run calls fn on t in the caller's goroutine and reports back to the writer.
func (r *request) run(t *tx) error {
	if err := r.ctx.Err(); err != nil {
		// Cancelled between the claim and now: fn never runs.
		t.done.Store(true)
		r.toWriter <- fnOutcome{err: err}
		return (<-r.toCaller).err
	}
	returned := false
	defer func() {
		if !returned { // panic or runtime.Goexit: let it go on, after telling the writer
			t.done.Store(true)
			r.toWriter <- fnOutcome{abandoned: true}
		}
	}()
	err := r.fn(t)
	returned = true
	t.done.Store(true)
	r.toWriter <- fnOutcome{err: err}
	return (<-r.toCaller).err
}

// updateAlone runs fn in a transaction of its own in the calling goroutine,
// with the outcomes of a batch of one. The caller has set db.busy.
func (db *DB) updateAlone(ctx context.Context, fn func(connectfed.Tx) error) error {
	defer db.release()
	// BEGIN IMMEDIATE (_txlock). ctx may end the wait for another process's
	// lock; if it ends later, database/sql rolls the transaction back, which
	// is what outcome decides then anyway.
	stx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return dbError("begin update", err)
	}
	// After a Commit this is a no-op (sql.ErrTxDone); otherwise fn failed,
	// panicked or called runtime.Goexit, and nothing it wrote may be kept.
	defer stx.Rollback()
	t := &tx{ctx: ctx, sctx: context.Background(), tx: stx, pool: &db.wStmts}
	t.bound = &t.own
	defer t.done.Store(true)
	err = fn(t)
	t.done.Store(true)
	if err := t.outcome(err); err != nil {
		return err
	}
	return db.commit(stx, 1)
}

// release gives up the writer connection (db.busy) after a transaction and
// wakes the writer if Updates queued meanwhile or Close is waiting.
func (db *DB) release() {
	db.mu.Lock()
	db.busy = false
	wake := len(db.queue) > 0 || db.stopping
	db.mu.Unlock()
	if wake {
		db.signal()
	}
}

// signal wakes the writer goroutine, which then looks at the queue.
func (db *DB) signal() {
	select {
	case db.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// next waits until the writer connection is free and requests are queued,
// and moves up to maxBatch of them into buf, taking the connection (busy).
// It returns false once Close has begun and no transaction is running,
// after failing whatever is still queued with errClosed (those fns never
// run).
func (db *DB) next(buf []*request) ([]*request, bool) {
	db.mu.Lock()
	for {
		if !db.busy {
			if db.stopping {
				q := db.queue
				db.queue = nil
				db.mu.Unlock()
				for _, r := range q {
					if r.claim() {
						r.finish(errClosed)
					}
				}
				return buf, false
			}
			if n := min(len(db.queue), maxBatch); n > 0 {
				buf = append(buf, db.queue[:n]...)
				rest := copy(db.queue, db.queue[n:])
				clear(db.queue[rest:])
				db.queue = db.queue[:rest]
				db.busy = true
				db.mu.Unlock()
				return buf, true
			}
		}
		db.mu.Unlock()
		<-db.wake
		db.mu.Lock()
	}
}

// writeLoop is the writer goroutine: it runs queued Updates, a batch at a
// time, until Close.
func (db *DB) writeLoop() {
	defer close(db.writerDone)
	var buf []*request
	for {
		var ok bool
		buf, ok = db.next(buf[:0])
		if !ok {
			return
		}
		for rest := buf; len(rest) > 0; {
			rest = db.runBatch(rest)
		}
		clear(buf) // keep no finished request reachable
		db.release()
	}
}

// batch is one write transaction shared by several Updates.
type batch struct {
	db    *DB
	stx   *sql.Tx
	bound [numStmts]*sql.Stmt // statements bound to stx, shared by every fn
	// solo: the batch is one Update, which needs no savepoint: if its fn
	// fails, the whole transaction is rolled back. A lone Update costs what
	// it did before group commit.
	solo bool
}

// savepoint runs SAVEPOINT, RELEASE or ROLLBACK TO (a statement index) in
// the batch's transaction; nothing in a solo batch.
func (b *batch) savepoint(i int) error {
	if b.solo {
		return nil
	}
	s := b.bound[i]
	if s == nil {
		s = b.stx.StmtContext(context.Background(), b.db.wStmts[i])
		b.bound[i] = s
	}
	_, err := s.ExecContext(context.Background())
	return err
}

// runBatch runs reqs in one transaction and returns those it did not get to
// because the transaction broke half way (normally none).
func (db *DB) runBatch(reqs []*request) []*request {
	// BEGIN IMMEDIATE (_txlock). Its context is not any caller's: a caller
	// that gives up must not end a transaction others share. A caller
	// waiting for the lock can still give up, as long as it is queued.
	stx, err := db.w.BeginTx(context.Background(), nil)
	if err != nil {
		err = dbError("begin update", err)
		for _, r := range reqs {
			if r.claim() {
				r.finish(err) // fn never ran; Update retries a busy error
			}
		}
		return nil
	}
	b := &batch{db: db, stx: stx, solo: len(reqs) == 1}
	kept := make([]*request, 0, len(reqs))
	for i, r := range reqs {
		if !r.claim() {
			continue // the caller gave up while queued
		}
		if err := r.ctx.Err(); err != nil {
			r.finish(err)
			continue
		}
		if err := b.savepoint(sSavepoint); err != nil {
			err = dbError("savepoint", err)
			db.abort(stx, kept, err)
			r.finish(err)
			return reqs[i+1:]
		}
		t := &tx{ctx: r.ctx, sctx: context.Background(), tx: stx, pool: &db.wStmts, bound: &b.bound}
		r.toCaller <- turn{t: t}
		o := <-r.toWriter

		// fail: why this fn's writes are not kept, if they are not. An
		// abandoned fn's caller is unwinding a panic or Goexit.
		fail := t.outcome(o.err)
		if fail == nil && !o.abandoned {
			if err := b.savepoint(sRelease); err != nil {
				err = dbError("release savepoint", err)
				db.abort(stx, kept, err)
				r.finish(err)
				return reqs[i+1:]
			}
			kept = append(kept, r)
			continue
		}
		// Undo this fn's writes, and only those.
		err := b.savepoint(sRollbackTo)
		if err == nil {
			err = b.savepoint(sRelease)
		}
		if err != nil {
			// The transaction may be gone (or its state unknown): drop it.
			db.abort(stx, kept, dbError("rollback to savepoint", err))
		}
		if !o.abandoned {
			r.finish(fail)
		}
		if err != nil {
			return reqs[i+1:]
		}
	}
	if len(kept) == 0 {
		_ = stx.Rollback() // nothing to keep: no COMMIT, no fsync
		return nil
	}
	err = db.commit(stx, len(kept))
	for _, r := range kept {
		r.finish(err) // nil: the COMMIT, and so fn's writes, are on stable storage
	}
	return nil
}

// outcome decides, once fn has returned fnErr, whether its writes may be
// kept: nil if so, else the error its Update returns.
func (t *tx) outcome(fnErr error) error {
	switch {
	case fnErr != nil:
		return fnErr // as fn returned it
	case t.poison != nil:
		return fmt.Errorf("sqlite: update: fn went on after a failed statement: %w", t.poison)
	case t.ctx.Err() != nil:
		return dbError("update", t.ctx.Err())
	}
	return nil
}

// commit commits stx, which holds the writes of n fns, and returns the
// result for each of them.
func (db *DB) commit(stx *sql.Tx, n int) error {
	db.commits.Add(1)
	db.committed.Add(int64(n))
	for {
		old := db.largest.Load()
		if int64(n) <= old || db.largest.CompareAndSwap(old, int64(n)) {
			break
		}
	}
	if f := db.failCommit.Load(); f != nil {
		if err := (*f)(); err != nil {
			_ = stx.Rollback()
			return dbError("commit", err)
		}
	}
	if err := stx.Commit(); err != nil {
		return dbError("commit", err)
	}
	return nil
}

// abort rolls back a transaction that can no longer be trusted and fails
// every request whose fn had been kept in it.
func (db *DB) abort(stx *sql.Tx, kept []*request, cause error) {
	_ = stx.Rollback()
	err := fmt.Errorf("sqlite: update rolled back with its batch: %w", cause)
	for _, r := range kept {
		r.finish(err)
	}
}
