import SmartPayRedis

/// The ledger's Lua: `script` (create_accounts, create_transfers and seal for one ledger) and `chain` (the journal's
/// SHA-256 chain, appended in order by whoever computed it). Their comments say the protocol; `LedgerState` is the
/// specification.
enum LedgerScript {
    static let script = RedisScript(source)

    /// Appends hashes to `{ledger:L}:chain` in seq order: ARGV first seq, then the hashes of first, first+1, ….
    /// Hashes of seqs already chained are skipped (every writer computes the same ones); a gap is an error.
    /// Returns the last chained seq.
    static let chain = RedisScript(
        #"""
        local last = redis.call("XREVRANGE", KEYS[1], "+", "-", "COUNT", 1)
        local lastSeq = 0
        if last[1] then lastSeq = tonumber(string.match(last[1][1], "^(%d+)")) end
        local first = tonumber(ARGV[1])
        for i = 2, #ARGV do
            local seq = first + i - 2
            if seq == lastSeq + 1 then
                redis.call("XADD", KEYS[1], string.format("%d", seq) .. "-0", "h", ARGV[i])
                lastSeq = seq
            elseif seq > lastSeq + 1 then
                return redis.error_reply("ERR ledger chain: seq " .. seq .. " after " .. lastSeq)
            end
        end
        return lastSeq
        """#)

    static let source = #"""
        -- SmartPay's ledger: TigerBeetle's create_accounts / create_transfers semantics over one ledger's keys, all under
        -- the hash tag {ledger:<L>}, so the script runs unchanged on a Redis Cluster. The Swift model
        -- (LedgerState.swift) is the specification; the simulation holds this script to it, reply by reply.
        --
        -- KEYS[1]  {ledger:<L>}:head
        -- ARGV     op ("accounts" | "transfers" | "seal"), now (µs), expected head seq (seal only), ledger, event count,
        --          then the events' fields (a seal: its account count and digest).
        -- Returns  { "ok" | "moved", seq before, last chained seq, its hash, seq after, last timestamp, { results },
        --          { lines } }
        --
        -- The journal's hashes are SHA-256, which Lua in Redis does not have: the script appends each committed event's
        -- line to {ledger:<L>}:journal (entry id <seq>-0), and the client, before it answers, chains the hashes of every
        -- line not yet chained (its own, and those of a writer that committed just before) into {ledger:<L>}:chain with
        -- the `chain` script. The lines are fixed once committed, so every writer computes the same hashes.

        local op, now, expected, ledger = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
        local count = tonumber(ARGV[5])
        local P = "{ledger:" .. ledger .. "}:"
        local LIMIT = 9007199254740991
        local ZERO = "00000000000000000000000000000000"
        local MAX = "ffffffffffffffffffffffffffffffff"
        local band = bit.band

        -- flags
        local LINKED, PENDING, POST, VOID, BAL_DR, BAL_CR, CLOSE_DR, CLOSE_CR = 1, 2, 4, 8, 16, 32, 64, 128
        local KNOWN_T = 255
        local DR_LIMIT, CR_LIMIT, CLOSED = 2, 4, 16
        local KNOWN_A = 22
        local function has(flags, f) return band(flags, f) ~= 0 end

        local headv = redis.call("HMGET", KEYS[1], "seq", "ts")
        local head = { seq = tonumber(headv[1]) or 0, ts = tonumber(headv[2]) or 0 }
        local startSeq = head.seq

        -- Records read through a cache; changes stay in it and are written at the end of an applied run.
        local accounts, transfers = {}, {}
        local dirtyAccounts, dirtyTransfers, order = {}, {}, {}
        local lines, zadd, zrem = {}, {}, {}
        local undo = nil

        local function account(id)
            local a = accounts[id]
            if a == nil then
                local v = redis.call("HMGET", P .. "a:" .. id, "code", "flags", "owner", "name", "dp", "dpo", "cp", "cpo", "ts")
                if v[1] then
                    a = { id = id, code = tonumber(v[1]), flags = tonumber(v[2]), owner = v[3], name = v[4],
                        dp = tonumber(v[5]), dpo = tonumber(v[6]), cp = tonumber(v[7]), cpo = tonumber(v[8]), ts = tonumber(v[9]) }
                else
                    a = false
                end
                accounts[id] = a
            end
            return a
        end

        -- A transfer is its journal line: {ledger:L}:tx maps its id to the seq of that line; a pending transfer's state
        -- (pending, posted, voided, expired) is in {ledger:L}:pending.
        local function transfer(id)
            local t = transfers[id]
            if t == nil then
                local seq = redis.call("HGET", P .. "tx", id)
                if seq then
                    local entry = redis.call("XRANGE", P .. "journal", seq .. "-0", seq .. "-0")[1]
                    local f = {}
                    for part in string.gmatch(entry[2][2] .. "|", "([^|]*)|") do f[#f + 1] = part end
                    -- T|seq|ts|ledger|id|debit|credit|amount|requested|pending_id|code|flags|timeout|user_data|expires_at
                    t = { id = id, debit = f[6], credit = f[7], amount = tonumber(f[8]), req = tonumber(f[9]), pid = f[10],
                        code = tonumber(f[11]), flags = tonumber(f[12]), timeout = tonumber(f[13]), ud = f[14],
                        ts = tonumber(f[3]), exp = tonumber(f[15]), state = "" }
                    if has(t.flags, PENDING) then t.state = redis.call("HGET", P .. "pending", id) or "pending" end
                else
                    t = false
                end
                transfers[id] = t
            end
            return t
        end

        local function copy(r)
            if not r then return r end
            local c = {}
            for k, v in pairs(r) do c[k] = v end
            return c
        end

        local function markDirty(kind, id)
            local dirty = kind == "a" and dirtyAccounts or dirtyTransfers
            if not dirty[id] then
                dirty[id] = true
                order[#order + 1] = { kind, id }
            end
        end

        -- A cached record about to change in place: an open chain's undo keeps a copy of it first.
        local function change(kind, r)
            if undo and undo[kind][r.id] == nil then undo[kind][r.id] = { copy(r) } end
            markDirty(kind, r.id)
            return r
        end

        -- A new record into the cache: an open chain's undo remembers there was none.
        local function put(kind, r)
            local cache = kind == "a" and accounts or transfers
            if undo and undo[kind][r.id] == nil then undo[kind][r.id] = { cache[r.id] or false } end
            cache[r.id] = r
            markDirty(kind, r.id)
        end

        local function nextTs() return math.max(now, head.ts + 1) end

        local function append(line, ts)
            lines[#lines + 1] = line
            head.seq = head.seq + 1
            head.ts = ts
        end

        local function fmt(n) return string.format("%d", n) end

        local function transferLine(t)
            return table.concat({ "T", fmt(head.seq + 1), fmt(t.ts), ledger, t.id, t.debit, t.credit, fmt(t.amount), fmt(t.req),
                t.pid, fmt(t.code), fmt(t.flags), fmt(t.timeout), t.ud, fmt(t.exp) }, "|")
        end

        local function expire()
            local due = redis.call("ZRANGEBYSCORE", P .. "timeouts", "-inf", ARGV[2], "LIMIT", 0, 256)
            for _, id in ipairs(due) do
                local p = transfer(id)
                if p and p.state == "pending" then
                    local dr, cr = change("a", account(p.debit)), change("a", account(p.credit))
                    dr.dp = dr.dp - p.amount
                    cr.cp = cr.cp - p.amount
                    if has(p.flags, CLOSE_DR) then dr.flags = band(dr.flags, 255 - CLOSED) end
                    if has(p.flags, CLOSE_CR) then cr.flags = band(cr.flags, 255 - CLOSED) end
                    change("t", p).state = "expired"
                    zrem[#zrem + 1] = id
                    local ts = nextTs()
                    append(table.concat({ "X", fmt(head.seq + 1), fmt(ts), ledger, id }, "|"), ts)
                end
            end
        end

        -- accounts: id, code, flags, owner, name (5 fields)
        local function createAccount(a)
            if band(a.flags, 255 - KNOWN_A) ~= 0 or a.flags > 255 then return "reserved_flag" end
            if a.id == ZERO then return "id_must_not_be_zero" end
            if a.id == MAX then return "id_must_not_be_int_max" end
            if a.ledger ~= ledger then return "ledger_must_match" end
            local e = account(a.id)
            if e then
                if band(e.flags, 255 - CLOSED) ~= band(a.flags, 255 - CLOSED) then return "exists_with_different_flags" end
                if e.owner ~= a.owner then return "exists_with_different_owner" end
                if e.name ~= a.name then return "exists_with_different_name" end
                if e.code ~= a.code then return "exists_with_different_code" end
                return "exists"
            end
            if has(a.flags, DR_LIMIT) and has(a.flags, CR_LIMIT) then return "flags_are_mutually_exclusive" end
            if a.code == 0 then return "code_must_not_be_zero" end
            local ts = nextTs()
            local r = { id = a.id, code = a.code, flags = a.flags, owner = a.owner, name = a.name, dp = 0, dpo = 0, cp = 0,
                cpo = 0, ts = ts, new = true }
            put("a", r)
            append(table.concat({ "A", fmt(head.seq + 1), fmt(ts), ledger, a.id, fmt(a.code), fmt(a.flags), a.owner, a.name },
                "|"), ts)
            return "created"
        end

        local function compare(t, e)
            if t.flags ~= e.flags then return "exists_with_different_flags" end
            if t.pid ~= e.pid then return "exists_with_different_pending_id" end
            if t.timeout ~= e.timeout then return "exists_with_different_timeout" end
            local pv = has(t.flags, POST) or has(t.flags, VOID)
            if not (pv and t.debit == ZERO) and t.debit ~= e.debit then return "exists_with_different_debit_account_id" end
            if not (pv and t.credit == ZERO) and t.credit ~= e.credit then return "exists_with_different_credit_account_id" end
            if t.amount ~= e.req then return "exists_with_different_amount" end
            if t.ud ~= e.ud then return "exists_with_different_user_data" end
            if not (pv and t.code == 0) and t.code ~= e.code then return "exists_with_different_code" end
            return "exists"
        end

        local function exclusive(f)
            local post, void = has(f, POST), has(f, VOID)
            local balancing = has(f, BAL_DR) or has(f, BAL_CR)
            local closing = has(f, CLOSE_DR) or has(f, CLOSE_CR)
            return (post and void) or ((post or void) and (has(f, PENDING) or balancing or closing))
        end

        local function postOrVoid(t)
            if t.pid == ZERO then return "pending_id_must_not_be_zero" end
            if t.pid == MAX then return "pending_id_must_not_be_int_max" end
            if t.pid == t.id then return "pending_id_must_be_different" end
            if t.timeout ~= 0 then return "timeout_reserved_for_pending_transfer" end
            local p = transfer(t.pid)
            if not p then return "pending_transfer_not_found" end
            if not has(p.flags, PENDING) then return "pending_transfer_not_pending" end
            if t.debit ~= ZERO and t.debit ~= p.debit then return "pending_transfer_has_different_debit_account_id" end
            if t.credit ~= ZERO and t.credit ~= p.credit then return "pending_transfer_has_different_credit_account_id" end
            if t.code ~= 0 and t.code ~= p.code then return "pending_transfer_has_different_code" end
            local amount = t.amount == 0 and p.amount or t.amount
            if amount > p.amount then return "exceeds_pending_transfer_amount" end
            local voiding = has(t.flags, VOID)
            if voiding and amount < p.amount then return "pending_transfer_has_different_amount" end
            if p.state == "posted" then return "pending_transfer_already_posted" end
            if p.state == "voided" then return "pending_transfer_already_voided" end
            if p.state == "expired" then return "pending_transfer_expired" end
            local ts = nextTs()
            if p.exp ~= 0 and p.exp <= ts then return "pending_transfer_expired" end
            local dr, cr = account(p.debit), account(p.credit)
            if not voiding then
                if amount > LIMIT - dr.dpo then return "overflows_debits_posted" end
                if amount > LIMIT - cr.cpo then return "overflows_credits_posted" end
            end
            change("a", dr)
            change("a", cr)
            dr.dp = dr.dp - p.amount
            cr.cp = cr.cp - p.amount
            if voiding then
                if has(p.flags, CLOSE_DR) then dr.flags = band(dr.flags, 255 - CLOSED) end
                if has(p.flags, CLOSE_CR) then cr.flags = band(cr.flags, 255 - CLOSED) end
            else
                dr.dpo = dr.dpo + amount
                cr.cpo = cr.cpo + amount
            end
            change("t", p).state = voiding and "voided" or "posted"
            if p.exp ~= 0 then zrem[#zrem + 1] = p.id end
            local r = { id = t.id, debit = p.debit, credit = p.credit, amount = amount, req = t.amount, pid = t.pid, code = p.code,
                flags = t.flags, timeout = 0, ud = t.ud, ts = ts, state = "", exp = 0, seq = head.seq + 1 }
            put("t", r)
            append(transferLine(r), ts)
            return "created"
        end

        -- transfers: id, debit, credit, amount, pending_id, ledger, code, flags, timeout, user_data (10 fields)
        local function createTransfer(t)
            if t.flags > KNOWN_T then return "reserved_flag" end
            if t.id == ZERO then return "id_must_not_be_zero" end
            if t.id == MAX then return "id_must_not_be_int_max" end
            if t.ledger ~= ledger then return "ledger_must_match" end
            local e = transfer(t.id)
            if e then return compare(t, e) end
            local pv = has(t.flags, POST) or has(t.flags, VOID)
            if exclusive(t.flags) then return "flags_are_mutually_exclusive" end
            if pv then return postOrVoid(t) end
            if t.debit == ZERO then return "debit_account_id_must_not_be_zero" end
            if t.debit == MAX then return "debit_account_id_must_not_be_int_max" end
            if t.credit == ZERO then return "credit_account_id_must_not_be_zero" end
            if t.credit == MAX then return "credit_account_id_must_not_be_int_max" end
            if t.debit == t.credit then return "accounts_must_be_different" end
            if t.pid ~= ZERO then return "pending_id_must_be_zero" end
            local pending = has(t.flags, PENDING)
            if not pending and t.timeout ~= 0 then return "timeout_reserved_for_pending_transfer" end
            if not pending and (has(t.flags, CLOSE_DR) or has(t.flags, CLOSE_CR)) then return "closing_transfer_must_be_pending" end
            local balancing = has(t.flags, BAL_DR) or has(t.flags, BAL_CR)
            if not balancing and t.amount == 0 then return "amount_must_not_be_zero" end
            if t.code == 0 then return "code_must_not_be_zero" end
            local dr0 = account(t.debit)
            if not dr0 then return "debit_account_not_found" end
            local cr0 = account(t.credit)
            if not cr0 then return "credit_account_not_found" end
            if has(dr0.flags, CLOSED) then return "debit_account_already_closed" end
            if has(cr0.flags, CLOSED) then return "credit_account_already_closed" end
            local dr, cr = dr0, cr0
            local amount = t.amount == 0 and LIMIT or t.amount
            if has(t.flags, BAL_DR) then
                amount = math.min(amount, math.max(0, dr.cpo - dr.dpo - dr.dp))
                if amount == 0 then return "exceeds_credits" end
            end
            if has(t.flags, BAL_CR) then
                amount = math.min(amount, math.max(0, cr.dpo - cr.cpo - cr.cp))
                if amount == 0 then return "exceeds_debits" end
            end
            if pending then
                if amount > LIMIT - dr.dp then return "overflows_debits_pending" end
                if amount > LIMIT - cr.cp then return "overflows_credits_pending" end
            else
                if amount > LIMIT - dr.dpo then return "overflows_debits_posted" end
                if amount > LIMIT - cr.cpo then return "overflows_credits_posted" end
            end
            if amount > LIMIT - dr.dp - dr.dpo then return "overflows_debits" end
            if amount > LIMIT - cr.cp - cr.cpo then return "overflows_credits" end
            local ts = nextTs()
            if t.timeout < 0 or t.timeout * 1000000 > LIMIT - ts then return "overflows_timeout" end
            if has(dr.flags, DR_LIMIT) and dr.dp + dr.dpo + amount > dr.cpo then return "exceeds_credits" end
            if has(cr.flags, CR_LIMIT) and cr.cp + cr.cpo + amount > cr.dpo then return "exceeds_debits" end
            change("a", dr)
            change("a", cr)
            if pending then
                dr.dp = dr.dp + amount
                cr.cp = cr.cp + amount
                if has(t.flags, CLOSE_DR) then dr.flags = bit.bor(dr.flags, CLOSED) end
                if has(t.flags, CLOSE_CR) then cr.flags = bit.bor(cr.flags, CLOSED) end
            else
                dr.dpo = dr.dpo + amount
                cr.cpo = cr.cpo + amount
            end
            local exp = (pending and t.timeout > 0) and (ts + t.timeout * 1000000) or 0
            local r = { id = t.id, debit = t.debit, credit = t.credit, amount = amount, req = t.amount, pid = ZERO, code = t.code,
                flags = t.flags, timeout = t.timeout, ud = t.ud, ts = ts, state = pending and "pending" or "", exp = exp,
                seq = head.seq + 1 }
            put("t", r)
            if exp ~= 0 then zadd[#zadd + 1] = { exp, t.id } end
            append(transferLine(r), ts)
            return "created"
        end

        local function rollBack()
            if not undo then return end
            for kind, saved in pairs(undo) do
                if kind ~= "head" and kind ~= "lines" and kind ~= "zadd" and kind ~= "zrem" then
                    local cache = kind == "a" and accounts or transfers
                    for id, old in pairs(saved) do cache[id] = old[1] end
                end
            end
            head.seq, head.ts = undo.head.seq, undo.head.ts
            for i = #lines, undo.lines + 1, -1 do lines[i] = nil end
            for i = #zadd, undo.zadd + 1, -1 do zadd[i] = nil end
            for i = #zrem, undo.zrem + 1, -1 do zrem[i] = nil end
            undo = nil
        end

        local results = {}
        local base = 6
        if op ~= "seal" then expire() end
        if op == "accounts" then
            for i = 0, count - 1 do
                local o = base + i * 6
                results[#results + 1] = createAccount({ id = ARGV[o], ledger = ARGV[o + 1], code = tonumber(ARGV[o + 2]),
                    flags = tonumber(ARGV[o + 3]), owner = ARGV[o + 4], name = ARGV[o + 5] })
            end
        elseif op == "transfers" then
            local batch = {}
            for i = 0, count - 1 do
                local o = base + i * 10
                batch[#batch + 1] = { id = ARGV[o], debit = ARGV[o + 1], credit = ARGV[o + 2], amount = tonumber(ARGV[o + 3]),
                    pid = ARGV[o + 4], ledger = ARGV[o + 5], code = tonumber(ARGV[o + 6]), flags = tonumber(ARGV[o + 7]),
                    timeout = tonumber(ARGV[o + 8]), ud = ARGV[o + 9] }
            end
            -- The batch's new ids in one look instead of one each (the usual case: none exists).
            if count > 0 then
                local ids = {}
                for i = 1, count do ids[i] = batch[i].id end
                local seqs = redis.call("HMGET", P .. "tx", unpack(ids))
                for i = 1, count do
                    if not seqs[i] and transfers[ids[i]] == nil then transfers[ids[i]] = false end
                end
            end
            local start = 1
            while start <= count do
                local stop = start
                while stop < count and has(batch[stop].flags, LINKED) do stop = stop + 1 end
                local open = has(batch[stop].flags, LINKED)
                -- A lone event changes nothing before its last check passes: only a chain needs an undo.
                if stop > start then
                    undo = { a = {}, t = {}, head = { seq = head.seq, ts = head.ts }, lines = #lines, zadd = #zadd,
                        zrem = #zrem }
                end
                for i = start, stop do
                    local r
                    if open and i == stop then r = "linked_event_chain_open" else r = createTransfer(batch[i]) end
                    if r ~= "created" then
                        rollBack()
                        for j = start, stop do results[j] = "linked_event_failed" end
                        results[i] = r
                        break
                    end
                    results[i] = r
                end
                undo = nil
                start = stop + 1
            end
        elseif op == "seal" then
            -- The client rebuilt the balances from the journal up to `expected`: ARGV[6] = accounts, ARGV[7] = digest.
            if head.seq ~= expected then return { "moved", head.seq, 0, "", head.seq, head.ts, {}, {} } end
            local ts = nextTs()
            append(table.concat({ "S", fmt(head.seq + 1), fmt(ts), ledger, ARGV[6], ARGV[7] }, "|"), ts)
        end

        if #lines > 0 then
            local ids, states = {}, {}
            for _, entry in ipairs(order) do
                local kind, id = entry[1], entry[2]
                if kind == "a" then
                    local a = accounts[id]
                    if a then
                        redis.call("HSET", P .. "a:" .. id, "code", fmt(a.code), "flags", fmt(a.flags), "owner", a.owner, "name", a.name,
                            "dp", fmt(a.dp), "dpo", fmt(a.dpo), "cp", fmt(a.cp), "cpo", fmt(a.cpo), "ts", fmt(a.ts))
                        if a.new then redis.call("SADD", P .. "accounts", id) end
                    end
                else
                    local t = transfers[id]
                    if t then
                        if t.seq then
                            ids[#ids + 1] = id
                            ids[#ids + 1] = fmt(t.seq)
                        end
                        if has(t.flags, PENDING) then
                            states[#states + 1] = id
                            states[#states + 1] = t.state
                        end
                    end
                end
            end
            for i = 1, #ids, 2000 do redis.call("HSET", P .. "tx", unpack(ids, i, math.min(#ids, i + 1999))) end
            for i = 1, #states, 2000 do
                redis.call("HSET", P .. "pending", unpack(states, i, math.min(#states, i + 1999)))
            end
            for _, z in ipairs(zadd) do redis.call("ZADD", P .. "timeouts", z[1], z[2]) end
            for _, id in ipairs(zrem) do redis.call("ZREM", P .. "timeouts", id) end
            for i, line in ipairs(lines) do
                redis.call("XADD", P .. "journal", fmt(startSeq + i) .. "-0", "e", line)
            end
            redis.call("HSET", KEYS[1], "seq", fmt(head.seq), "ts", fmt(head.ts))
        end
        local chained = redis.call("XREVRANGE", P .. "chain", "+", "-", "COUNT", 1)
        local chainedSeq, chainedHash = 0, string.rep("0", 64)
        if chained[1] then
            chainedSeq = tonumber(string.match(chained[1][1], "^(%d+)"))
            chainedHash = chained[1][2][2]
        end
        return { "ok", startSeq, chainedSeq, chainedHash, head.seq, head.ts, results, lines }
        """#
}
