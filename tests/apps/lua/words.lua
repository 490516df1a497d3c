-- Word statistics of a text file, for tests/programs.bats: Lua's io library (lines, open,
-- write, seek, tmpfile), os.rename and os.remove, string formatting of integers and floats.
-- Usage: lua words.lua INPUT OUTPUT [ARGS...]; prints file names without their folders, so
-- the same script prints the same on uk and on the host.
local input, output = arg[1], arg[2]
local function base(path) return (path:match("[^/]*$")) end
local counts, words, lines, bytes = {}, 0, 0, 0
for line in io.lines(input) do
  lines = lines + 1
  bytes = bytes + #line + 1
  for w in line:gmatch("%a+") do
    w = w:lower()
    counts[w] = (counts[w] or 0) + 1
    words = words + 1
  end
end
local list = {}
for w, n in pairs(counts) do list[#list + 1] = {w = w, n = n} end
table.sort(list, function(a, b)
  if a.n ~= b.n then return a.n > b.n end
  return a.w < b.w
end)

-- written under another name, then renamed over the old report
local part = output .. ".part"
local f = assert(io.open(part, "w"))
f:write(string.format("%s: %d lines, %d words, %d distinct, %d bytes\n",
  base(input), lines, words, #list, bytes))
for i = 1, math.min(20, #list) do
  local e = list[i]
  f:write(string.format("%2d %-12s %5d %6.3f%% %s\n", i, e.w, e.n, 100 * e.n / words,
    string.rep("#", e.n * 40 // list[1].n)))
end
f:close()
os.remove(output)
assert(os.rename(part, output))
assert(io.open(part) == nil, "the partial report is gone")

-- read back through seek, and through a scratch file
local g = assert(io.open(output, "rb"))
local size = g:seek("end")
g:seek("set", 0)
local head = g:read("l")
g:close()
local t = io.tmpfile()
t:write(head, "\n", size, " bytes in ", base(output), "\n")
t:seek("set")
io.write(t:read("a"))
t:close()
print(string.format("mean line %.4f bytes, sqrt(words) %.6g, 2^40 = %d, pi %.10f",
  bytes / lines, math.sqrt(words), 1 << 40, math.pi))
print(type(os.clock()), os.getenv("HOME"), select("#", ...), select(3, ...))
