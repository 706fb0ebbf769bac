package server

import "time"

// handlerPool runs request handlers on goroutines that outlive a request.
// A goroutine started per frame grew its stack anew for every request
// (about 3 % of the server's CPU at 10,000 msg/s); a worker keeps the stack
// its first request grew. The reader that hands a frame over keeps its own
// stack small either way, which is what idle connections cost.
type handlerPool struct {
	tasks chan func()   // unbuffered: a send succeeds only to an idle worker
	idle  time.Duration // an idle worker exits after this long
	done  <-chan struct{}
}

// newHandlerPool returns a pool whose idle workers exit after idle, or when
// done is closed.
func newHandlerPool(idle time.Duration, done <-chan struct{}) *handlerPool {
	return &handlerPool{tasks: make(chan func()), idle: idle, done: done}
}

// run runs f on an idle worker, or on a new one when none is idle.
func (p *handlerPool) run(f func()) {
	select {
	case p.tasks <- f:
	default:
		go p.work(f)
	}
}

func (p *handlerPool) work(f func()) {
	t := time.NewTimer(p.idle)
	defer t.Stop()
	for {
		f()
		t.Reset(p.idle)
		select {
		case f = <-p.tasks:
		case <-t.C:
			return
		case <-p.done:
			return
		}
	}
}
