-- Each request names one of the 10,000 subjects at random: /<endpoint>/user-<n>
math.randomseed(os.time())
local base = wrk.path
request = function()
  return wrk.format("GET", base .. "user-" .. math.random(0, 9999))
end
