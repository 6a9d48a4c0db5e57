-- wrk script for bench/cold_cache_bench.py: GET each code of CODES_FILE once, in the file's
-- order (the bench shuffles it), then stop. Run with one wrk thread (-t1): the codes and
-- the count are that thread's own.
--
-- wrk cannot end a run on a count, only on its -d timer, and its main thread sleeps through
-- that timer: the rate it reports would include the idle rest. So once the last answer is in,
-- the script sends SIGINT to wrk's main thread (tgkill: a signal sent to the process may
-- land on the worker thread and leave the main thread asleep), which ends the sleep early;
-- wrk then prints its summary over the time the codes actually took.
local ffi = require("ffi")
ffi.cdef([[
  int getpid(void);
  long syscall(long number, ...);
]])
local SYS_TGKILL = 234 -- x86_64
local SIGINT = 2

-- Globals, not locals: done() reads them from the thread with thread:get.
codes = {}
total = 0
sent = 0
answered = 0
status_302 = 0
stopping = false

function init(args)
  local path = os.getenv("CODES_FILE")
  for line in io.lines(path) do
    total = total + 1
    codes[total] = "/" .. line
  end
end

function request()
  -- Past the last code (up to one request per connection while the last answers arrive),
  -- the first code again: a cache hit, a negligible share of the run.
  sent = sent + 1
  local path = codes[sent] or codes[1]
  return wrk.format("GET", path)
end

function response(status, headers, body)
  answered = answered + 1
  if status == 302 then
    status_302 = status_302 + 1
  end
  if answered >= total and not stopping then
    stopping = true
    local pid = ffi.C.getpid()
    ffi.C.syscall(SYS_TGKILL, ffi.cast("long", pid), ffi.cast("long", pid), ffi.cast("long", SIGINT))
    -- And this thread at once: it would otherwise go on until its next 100 ms check.
    wrk.thread:stop()
  end
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    io.write(string.format("codes: %d answered: %d status_302: %d\n",
      thread:get("total"), thread:get("answered"), thread:get("status_302")))
  end
end
