-- hdp.lua: Wireshark/tshark dissector for HDP, the made-up transport
-- carried directly in IP as protocol 255 (IPv6 next header 255).
--
-- Wire format (hdp_specification.md), all big-endian, after the IP header:
--
--    0                   1                   2                   3
--    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
--   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
--   |          Source Port          |       Destination Port        |
--   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
--   |            Timestamp: nanoseconds since the Unix epoch        |
--   +                                                               +
--   |                                                               |
--   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
--   |  Payload: opaque bytes to the end of the IP datagram ...
--
-- Use:  tshark -X lua_script:dissect/hdp.lua -r pcaps/lo4.pcap
--       wireshark -X lua_script:dissect/hdp.lua
-- or copy it into Wireshark's plugin folder (make install does).
--
-- Fields: hdp.srcport, hdp.dstport, hdp.port (either), hdp.timestamp
-- (absolute time), hdp.ts_ns, hdp.latency (capture time - timestamp, a
-- relative time), hdp.latency_ns, hdp.len (payload length), hdp.payload.
-- A short packet gets expert info (malformed) and the dissector returns
-- the bytes it used.

local hdp = Proto("hdp", "HDP (IP protocol 255)")

local HDR_LEN = 12

local pf = {
	srcport    = ProtoField.uint16("hdp.srcport", "Source Port", base.DEC),
	dstport    = ProtoField.uint16("hdp.dstport", "Destination Port",
				       base.DEC),
	port       = ProtoField.uint16("hdp.port", "Source or Destination Port",
				       base.DEC),
	timestamp  = ProtoField.absolute_time("hdp.timestamp", "Timestamp",
					      base.UTC),
	ts_ns      = ProtoField.uint64("hdp.ts_ns",
				       "Timestamp (ns since the epoch)",
				       base.DEC),
	latency    = ProtoField.relative_time("hdp.latency",
				"Latency (capture time - timestamp)"),
	latency_ns = ProtoField.int64("hdp.latency_ns", "Latency (ns)",
				      base.DEC),
	len        = ProtoField.uint32("hdp.len", "Payload Length", base.DEC),
	payload    = ProtoField.bytes("hdp.payload", "Payload"),
	text       = ProtoField.string("hdp.text", "Payload as text"),
}
hdp.fields = { pf.srcport, pf.dstport, pf.port, pf.timestamp, pf.ts_ns,
	       pf.latency, pf.latency_ns, pf.len, pf.payload, pf.text }

local ex = {
	short   = ProtoExpert.new("hdp.short", "HDP header shorter than 12 bytes",
				  expert.group.MALFORMED, expert.severity.ERROR),
	trunc   = ProtoExpert.new("hdp.truncated", "HDP payload not all captured",
				  expert.group.MALFORMED, expert.severity.WARN),
	base64  = ProtoExpert.new("hdp.base64", "Payload looks like base64",
				  expert.group.COMMENTS_GROUP,
				  expert.severity.CHAT),
}
hdp.experts = { ex.short, ex.trunc, ex.base64 }

local f_frame_time = Field.new("frame.time")

local NS = 1000000000

-- Int64 nanoseconds to NSTime (sign kept in both parts).
local function nstime_of(ns)
	local neg = ns < Int64.new(0)
	local a = neg and -ns or ns
	local secs = (a / NS):tonumber()
	local nsecs = (a % NS):tonumber()
	if neg then
		return NSTime.new(-secs, -nsecs)
	end
	return NSTime.new(secs, nsecs)
end

-- Capture time minus HDP timestamp as Int64 nanoseconds, or nil when
-- the difference does not fit an Int64 (hdp prints "-" and null then).
local INT64_MAX = UInt64.new(0xffffffff, 0x7fffffff)
local function latency_of(cap_ns, ts)
	local cap = UInt64.new(cap_ns:lower(), cap_ns:higher())
	local d = ts >= cap and ts - cap or cap - ts
	if d > INT64_MAX then
		return nil
	end
	local lat = Int64.new(d:lower(), d:higher())
	return ts > cap and -lat or lat
end

-- The latency as hdp sniff prints it (hdp_fmt_latency): one decimal in
-- the largest unit that keeps it at 1 or more, "21.2 us", "3.4 ms",
-- "185.3 s"; lat is Int64 nanoseconds.
local function latency_text(lat)
	local neg = lat < Int64.new(0)
	local a = neg and -lat or lat
	local tenth, unit
	if a < Int64.new(999950) then
		tenth, unit = 100, " us"
	elseif a < Int64.new(999950000) then
		tenth, unit = 100000, " ms"
	else
		tenth, unit = 100000000, " s"
	end
	local t = a / Int64.new(tenth)
	if (a % Int64.new(tenth)):tonumber() >= tenth / 2 then
		t = t + Int64.new(1)
	end
	return string.format("%s%s.%d%s", neg and "-" or "",
			     tostring(t / Int64.new(10)),
			     (t % Int64.new(10)):tonumber(), unit)
end

local function printable(s)
	return s:match("^[%g%s]*$") ~= nil
end

-- The rule of hdp_looks_base64() (specification, section 13): ignoring
-- CR and LF, at least 4 characters, a multiple of 4, from A-Z a-z 0-9 + /,
-- then at most two '=' and nothing after them.
local function looks_base64(s)
	local b = s:gsub("[\r\n]", "")
	local body, pad = b:match("^([%w%+/]*)(=*)$")
	return body ~= nil and #pad <= 2 and #b >= 4 and #b % 4 == 0
end

function hdp.dissector(tvb, pinfo, tree)
	local caplen = tvb:len()                       -- bytes captured
	local reported = tvb:reported_length_remaining() -- bytes the IP
							  -- header says follow
	pinfo.cols.protocol = "HDP"
	local t = tree:add(hdp, tvb(0, math.min(caplen, reported)))

	if reported < HDR_LEN or caplen < HDR_LEN then
		local what
		if reported < HDR_LEN and pinfo.fragmented then
			-- a first fragment: the sender split the header
			what = string.format("hdp header split across " ..
					     "fragments: %d of %d bytes in the first",
					     reported, HDR_LEN)
		elseif reported < HDR_LEN then
			what = string.format("hdp length %d < %d", reported, HDR_LEN)
		else
			what = string.format("[|hdp] %d of %d bytes captured",
					     caplen, HDR_LEN)
		end
		t:add_proto_expert_info(ex.short, what)
		pinfo.cols.info = "HDP " .. what
		return caplen
	end

	local sport = tvb(0, 2):uint()
	local dport = tvb(2, 2):uint()
	local ts = tvb(4, 8):uint64()
	local ts_secs = (ts / NS):tonumber()
	local ts_nsecs = (ts % NS):tonumber()

	t:add(pf.srcport, tvb(0, 2))
	t:add(pf.dstport, tvb(2, 2))
	t:add(pf.port, tvb(0, 2)):set_hidden()
	t:add(pf.port, tvb(2, 2)):set_hidden()
	t:add(pf.timestamp, tvb(4, 8), NSTime.new(ts_secs, ts_nsecs))
	t:add(pf.ts_ns, tvb(4, 8))

	local lat_text = ""
	local fi = f_frame_time()
	if fi ~= nil then
		local cap = fi.value
		local cap_ns = Int64.new(cap.secs) * NS + cap.nsecs
		local lat = latency_of(cap_ns, ts)
		if lat ~= nil then
			local human = latency_text(lat)
			t:add(pf.latency, tvb(4, 8), nstime_of(lat))
				:append_text(" (" .. human .. ")")
			t:add(pf.latency_ns, tvb(4, 8), lat)
			lat_text = " latency " .. human
		else
			lat_text = " latency -"
		end
	end

	local plen = reported - HDR_LEN
	local pcap = caplen - HDR_LEN
	t:add(pf.len, plen):set_generated()
	if pcap > 0 then
		local r = tvb(HDR_LEN, pcap)
		t:add(pf.payload, r)
		local s = r:string()
		if printable(s) then
			t:add(pf.text, r)
			if looks_base64(s) then
				t:add_proto_expert_info(ex.base64)
			end
		end
	end
	if pcap < plen then
		t:add_proto_expert_info(ex.trunc, string.format(
			"[|hdp] payload %d of %d bytes captured", pcap, plen))
	end

	t:append_text(string.format(", Src Port: %d, Dst Port: %d, Len: %d",
				    sport, dport, plen))
	pinfo.cols.info = string.format("%d > %d ts %s%s len %d", sport, dport,
					tostring(ts), lat_text, plen)
	return caplen
end

-- IPv4 and IPv6 both hand their payload to the "ip.proto" table.
DissectorTable.get("ip.proto"):add(255, hdp)
-- The UDP comparison mode carries the same header: offer it in Decode As.
DissectorTable.get("udp.port"):add_for_decode_as(hdp)
