//! Checks as fibers: many checks in flight on a few threads, under the blocking API the rest
//! of the code uses. A fiber is a stackful coroutine; where its socket would block (a read, a
//! write, a connect) it suspends until the socket is ready or its deadline passes, and the
//! thread driving it (`drive`) runs the other fibers meanwhile, waiting for all of them in one
//! `epoll_wait`. Code that runs outside a fiber (the Cachet client, kinds that wait on other
//! things) blocks as it always did: `in_fiber` tells the two apart.
//!
//! A thread a check cost a thread's start and end (clone, its stacks mapped, its signal stack
//! set, its exit) and two context switches each time it waited: with 512 checks in flight,
//! more CPU than the checks' own work. Fibers switch in user space, reuse their stacks, and
//! the threads that drive them sleep once for a batch of ready sockets.

// The one unsafe part of the crate: the running fiber's suspender is found through a pointer in
// a thread-local (ureq calls the transport, which cannot be handed it), and a socket is
// registered with epoll by its descriptor. Each use says why it is sound.
#![allow(unsafe_code)]

use std::cell::Cell;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult, Yielder};
use polling::{Event, Events, Poller};

/// The stack of a fiber, as a check's worker thread had.
const STACK: usize = 256 * 1024;

/// What a suspended fiber waits for: its socket ready (to write when `write`), or `until`.
#[derive(Clone, Copy)]
struct Wait {
    fd: Option<RawFd>,
    write: bool,
    until: Instant,
}

/// A fiber is resumed with whether what it waited for came (false: its deadline passed), or
/// why it could not be waited for.
type Woke = std::io::Result<bool>;
type Suspender = Yielder<Woke, Wait>;
type Fiber = Coroutine<Woke, Wait, (), DefaultStack>;

/// A socket this host could not wait for (epoll would not take it: no memory, its limit on
/// watched sockets reached). This host's trouble, never the target's: the check that meets it
/// could not be judged (`super::is_local_io` says so) rather than timed out.
#[derive(Debug)]
pub struct CannotWait(std::io::Error);

impl std::fmt::Display for CannotWait {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "this host could not wait for the connection ({})",
            self.0
        )
    }
}

impl std::error::Error for CannotWait {}

/// A check to run in a fiber.
pub type Work = Box<dyn FnOnce() + Send>;

thread_local! {
    /// The suspender of the fiber running on this thread; null outside a fiber.
    static CURRENT: Cell<*const Suspender> = const { Cell::new(std::ptr::null()) };
}

/// Whether this code runs in a fiber, where a socket that would block must `wait_for` it.
pub fn in_fiber() -> bool {
    !CURRENT.get().is_null()
}

/// In a fiber: suspends it until `socket` is ready to read (to write when `write`) or `until`
/// passes; whether it became ready, or an error holding `CannotWait` when this host could not
/// wait for it. Outside a fiber: true at once (the caller blocks instead).
pub fn wait_for(socket: &impl AsRawFd, write: bool, until: Instant) -> std::io::Result<bool> {
    suspend(Wait {
        fd: Some(socket.as_raw_fd()),
        write,
        until,
    })
}

/// Sleeps for `pause`: a fiber suspends, a thread sleeps.
pub fn sleep(pause: Duration) {
    if in_fiber() {
        // Nothing to register: only the deadline wakes it.
        let _ = suspend(Wait {
            fd: None,
            write: false,
            until: Instant::now() + pause,
        });
    } else {
        std::thread::sleep(pause);
    }
}

/// Runs `work` on a thread of its own (a lookup of the system's resolver, which has no way not
/// to block) while this fiber waits for it until `until`: its result, or `None` when the
/// deadline passed first (the thread finishes alone), no thread could start or this host could
/// not wait for it. Outside a fiber,
/// runs it here.
pub fn off_thread<T: Send + 'static>(
    until: Instant,
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    if !in_fiber() {
        return Some(work());
    }
    // The thread's end closes the pipe: then its result is in the channel.
    let (reader, writer) = std::io::pipe().ok()?;
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .spawn(move || {
            let _ = sender.send(work());
            drop(writer);
        })
        .ok()?;
    loop {
        match receiver.try_recv() {
            Ok(result) => return Some(result),
            Err(std::sync::mpsc::TryRecvError::Disconnected) => return None,
            Err(std::sync::mpsc::TryRecvError::Empty) => {
                if !wait_for(&reader, false, until).ok()? {
                    return None;
                }
            }
        }
    }
}

fn suspend(wait: Wait) -> Woke {
    let current = CURRENT.get();
    if current.is_null() {
        return Ok(true);
    }
    // What this thread notes of the connections it opens belongs to the fiber that opened them.
    let notes = super::path::Notes::now();
    // SAFETY: `current` was set by the fiber now running on this thread, from the suspender
    // its body was handed (see `start`), and that body has not returned: it is the caller.
    // The suspender lives as long as the fiber's body runs.
    let suspender = unsafe { &*current };
    let ready = suspender.suspend(wait);
    // Other fibers ran meanwhile and set their own.
    CURRENT.set(current);
    notes.restore();
    ready
}

/// Runs each `Work` that `next` hands out in a fiber of this thread, at most `jobs` at once,
/// until `next` has no more and every fiber has ended. Where a fiber cannot be made (no
/// memory for its stack, no epoll), the work runs on this thread as it would have anywhere.
pub fn drive(jobs: usize, mut next: impl FnMut() -> Option<Work>) {
    let Ok(poller) = Poller::new() else {
        while let Some(work) = next() {
            work();
        }
        return;
    };
    let mut slots: Vec<Option<(Fiber, Wait)>> = (0..jobs.max(1)).map(|_| None).collect();
    let mut stacks: Vec<DefaultStack> = Vec::new();
    let mut events = Events::new();
    let mut more = true;
    // A fiber that ends makes room for the next at once, so that its request goes out before
    // the rest of the batch's answers are read.
    let mut fill =
        |index: usize, slot: &mut Option<(Fiber, Wait)>, stacks: &mut Vec<DefaultStack>| {
            while more && slot.is_none() {
                let Some(work) = next() else {
                    more = false;
                    break;
                };
                if let Some(fiber) = start(work, stacks) {
                    *slot = step(&poller, index, fiber, Ok(true), stacks);
                }
            }
        };
    for (index, slot) in slots.iter_mut().enumerate() {
        fill(index, slot, &mut stacks);
    }
    loop {
        let Some(soonest) = slots.iter().flatten().map(|(_, wait)| wait.until).min() else {
            return;
        };
        events.clear();
        let timeout = soonest.saturating_duration_since(Instant::now());
        if poller.wait(&mut events, Some(timeout)).is_err() {
            // Interrupted: the deadlines are looked at again below all the same.
            events.clear();
        }
        let mut ready: Vec<(usize, bool)> = events.iter().map(|event| (event.key, true)).collect();
        let now = Instant::now();
        for (index, slot) in slots.iter().enumerate() {
            if let Some((_, wait)) = slot
                && wait.until <= now
                && !ready.iter().any(|(key, _)| *key == index)
            {
                ready.push((index, false));
            }
        }
        for (index, came) in ready {
            let Some(slot) = slots.get_mut(index) else {
                continue;
            };
            let Some((fiber, wait)) = slot.take() else {
                continue;
            };
            if let Some(fd) = wait.fd {
                // SAFETY: the descriptor is the one registered, still open: its fiber, which
                // owns the socket, is suspended on it until resumed below.
                let _ = poller.delete(unsafe { BorrowedFd::borrow_raw(fd) });
            }
            *slot = step(&poller, index, fiber, Ok(came), &mut stacks);
            fill(index, slot, &mut stacks);
        }
    }
}

/// A fiber for `work` on a stack of `stacks` or a new one; without memory for a stack, the
/// work runs here and now instead.
fn start(work: Work, stacks: &mut Vec<DefaultStack>) -> Option<Fiber> {
    let stack = match stacks.pop() {
        Some(stack) => stack,
        None => match DefaultStack::new(STACK) {
            Ok(stack) => stack,
            Err(_) => {
                work();
                return None;
            }
        },
    };
    Some(Coroutine::with_stack(
        stack,
        move |suspender: &Suspender, _| {
            CURRENT.set(suspender);
            // A check that panics ends its own fiber, not the thread driving the others.
            let _ = std::panic::catch_unwind(AssertUnwindSafe(work));
            CURRENT.set(std::ptr::null());
        },
    ))
}

/// Resumes `fiber` with `came` until it waits again (registered with `poller` under `index`)
/// or ends (its stack kept for the next).
fn step(
    poller: &Poller,
    index: usize,
    mut fiber: Fiber,
    came: Woke,
    stacks: &mut Vec<DefaultStack>,
) -> Option<(Fiber, Wait)> {
    let mut came = came;
    loop {
        match fiber.resume(came) {
            CoroutineResult::Return(()) => {
                CURRENT.set(std::ptr::null());
                stacks.push(fiber.into_stack());
                return None;
            }
            CoroutineResult::Yield(wait) => {
                CURRENT.set(std::ptr::null());
                let Some(fd) = wait.fd else {
                    return Some((fiber, wait));
                };
                let interest = if wait.write {
                    Event::writable(index)
                } else {
                    Event::readable(index)
                };
                // SAFETY: the descriptor stays open while registered: the fiber that owns the
                // socket is suspended on it, and `drive` deletes the registration before the
                // fiber runs again.
                match unsafe { poller.add(fd, interest) } {
                    Ok(()) => return Some((fiber, wait)),
                    // Said as this host's trouble: read as a timeout, it would be the target's.
                    Err(error) => came = Err(std::io::Error::other(CannotWait(error))),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Work, drive, in_fiber, sleep, wait_for};
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    fn works(list: Vec<Work>) -> impl FnMut() -> Option<Work> {
        let mut list = list.into_iter();
        move || list.next()
    }

    #[test]
    fn fibers_wait_for_their_sockets_together_on_one_thread() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let answered = Arc::new(AtomicUsize::new(0));
        let mut list: Vec<Work> = Vec::new();
        for _ in 0..50 {
            let answered = answered.clone();
            list.push(Box::new(move || {
                assert!(in_fiber());
                let mut stream = TcpStream::connect(address).unwrap();
                stream.set_nonblocking(true).unwrap();
                let mut byte = [0u8; 1];
                let until = Instant::now() + Duration::from_secs(10);
                loop {
                    match stream.read(&mut byte) {
                        Ok(1) => break,
                        Ok(_) => panic!("closed"),
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            assert!(wait_for(&stream, false, until).unwrap(), "timed out");
                        }
                        Err(e) => panic!("{e}"),
                    }
                }
                answered.fetch_add(1, Ordering::SeqCst);
            }));
        }
        // The server answers only once all 50 are connected: one thread, so only fibers that
        // wait together can all be answered.
        let server = std::thread::spawn(move || {
            let mut streams: Vec<TcpStream> =
                (0..50).map(|_| listener.accept().unwrap().0).collect();
            for stream in &mut streams {
                stream.write_all(b"!").unwrap();
            }
        });
        drive(50, works(list));
        server.join().unwrap();
        assert_eq!(answered.load(Ordering::SeqCst), 50);
        assert!(!in_fiber());
    }

    #[test]
    fn a_wait_ends_at_its_deadline_and_a_panic_ends_only_its_fiber() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let timed_out = Arc::new(AtomicUsize::new(0));
        let slept = Arc::new(AtomicUsize::new(0));
        let (t, s) = (timed_out.clone(), slept.clone());
        let list: Vec<Work> = vec![
            Box::new(|| panic!("a check's bug")),
            Box::new(move || {
                let stream = TcpStream::connect(address).unwrap();
                let started = Instant::now();
                // Nothing is ever sent: the wait ends at its deadline, not before.
                let came = wait_for(&stream, false, started + Duration::from_millis(100));
                assert!(!came.unwrap());
                assert!(started.elapsed() >= Duration::from_millis(100));
                t.fetch_add(1, Ordering::SeqCst);
            }),
            Box::new(move || {
                let started = Instant::now();
                sleep(Duration::from_millis(50));
                assert!(started.elapsed() >= Duration::from_millis(50));
                s.fetch_add(1, Ordering::SeqCst);
            }),
        ];
        let started = Instant::now();
        drive(1, works(list));
        assert_eq!(timed_out.load(Ordering::SeqCst), 1);
        assert_eq!(slept.load(Ordering::SeqCst), 1);
        // One at a time (`jobs` = 1): the sleep came after the wait.
        assert!(started.elapsed() >= Duration::from_millis(150));
        drop(listener);
    }

    #[test]
    fn what_cannot_be_waited_for_is_this_hosts_trouble_not_a_timeout() {
        // epoll takes no regular file (EPERM), as it takes no socket when out of memory or
        // watches: the fiber learns so at once, in words, as this host's own trouble.
        let file = std::fs::File::open("Cargo.toml").unwrap();
        let seen = Arc::new(std::sync::Mutex::new(None));
        let into = seen.clone();
        let list: Vec<Work> = vec![Box::new(move || {
            let started = Instant::now();
            let woke = wait_for(&file, false, started + Duration::from_secs(10));
            *into.lock().unwrap() = Some((woke, started.elapsed()));
        })];
        drive(1, works(list));
        let (woke, took) = seen.lock().unwrap().take().unwrap();
        let error = woke.unwrap_err();
        assert!(crate::net::is_local_io(&error));
        assert!(
            crate::net::describe_io(&error, Duration::from_secs(10))
                .starts_with("this host could not wait for the connection"),
            "{error}"
        );
        assert!(took < Duration::from_secs(1));
    }
}
