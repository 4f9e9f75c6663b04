"""A small MongoDB wire-protocol test server for source-mongodb-v2's end-to-end tests.

No MongoDB server can be installed on the project's machines (not packaged for Debian 12; npm
launchers download binaries at run time), so the tests run the real driver (libmongoc, inside
`sluice`) against this double. It is NOT MongoDB: it answers only what the connector sends, from
documents the test gives it, with BSON encoded by python3-bson:

  - OP_QUERY (the driver's first handshake) and OP_MSG (everything after);
  - hello / isMaster as the primary of a one-member replica set (setName, hosts, primary,
    maxWireVersion 13 = MongoDB 5.0, logicalSessionTimeoutMinutes), buildInfo, ping,
    endSessions; every reply carries operationTime (the cluster time);
  - SCRAM-SHA-256 (saslStart / saslContinue, saslSupportedMechs) when users are given; other
    commands then need an authenticated connection (error 13 Unauthorized);
  - listCollections, find (filter {} or {_id: {$gt: v}} with BSON type bracketing; sort by
    _id), aggregate with $sample (the first N documents), getMore, killCursors;
  - aggregate with $changeStream at database level: resumeAfter / startAfter tokens
    ({"_data": 16 hex digits of the event's sequence number}), a $match on ns.coll and
    operationType with $in, fullDocument updateLookup (the document as it is when the event is
    read; null once deleted) or required / whenAvailable (the post image kept with the event),
    postBatchResumeToken, getMore waiting maxTimeMS for new events, and error 286
    ChangeStreamHistoryLost for a token older than the retained history (`trim_history()`).

The test changes data through `insert`, `update`, `replace` and `delete`, each of which appends
a change event as a replica set's oplog would. Runs in a thread of the test process on a
loopback port chosen at run time.
"""
import base64
import datetime as dt
import hashlib
import hmac
import os
import socket
import struct
import threading
import time

import bson
from bson.codec_options import CodecOptions
from bson.int64 import Int64
from bson.objectid import ObjectId
from bson.timestamp import Timestamp

OP_REPLY, OP_QUERY, OP_MSG = 1, 2004, 2013
CODEC = CodecOptions(tz_aware=True)
SCRAM_ITERATIONS = 4096


def _rank(v):
    """BSON comparison order of a value's type (numbers together), for sort and type bracketing."""
    if v is None:
        return 1
    if isinstance(v, bool):
        return 8
    if isinstance(v, (int, float, Int64)) or type(v).__name__ == "Decimal128":
        return 2
    if isinstance(v, str):
        return 3
    if isinstance(v, dict):
        return 4
    if isinstance(v, list):
        return 5
    if isinstance(v, bytes) or type(v).__name__ == "Binary":
        return 6
    if isinstance(v, ObjectId):
        return 7
    if isinstance(v, dt.datetime):
        return 9
    return 10


def _key(v):
    return (_rank(v), v if _rank(v) in (2, 3, 7, 9) else repr(v))


def _get_path(doc, path):
    for part in path.split("."):
        if not isinstance(doc, dict) or part not in doc:
            return None
        doc = doc[part]
    return doc


def _matches(doc, query):
    """The subset of $match the connector sends: field equality and {$in: [...]} on dotted paths."""
    for path, cond in query.items():
        value = _get_path(doc, path)
        if isinstance(cond, dict) and "$in" in cond:
            if value not in cond["$in"]:
                return False
        elif value != cond:
            return False
    return True


def _token(seq):
    return {"_data": "%016X" % seq}


class CommandError(Exception):
    def __init__(self, code, name, message):
        super().__init__(message)
        self.code, self.name, self.message = code, name, message


class MongoWireServer:
    def __init__(self, users=None, set_name="rs0"):
        self.users = dict(users or {})  # name -> password (auth source admin)
        self.set_name = set_name
        self.dbs = {}  # db -> coll -> {key: doc}
        self.events = []  # (seq, db, coll, event without fullDocument, post image)
        self.next_seq = 1
        self.oldest_seq = 1  # events before it are gone (trim_history)
        self.cond = threading.Condition()
        self.cursors = {}
        self.next_cursor = 1000
        self.clock = [int(time.time()), 0]
        self.commands = []  # names of the commands received, in order (for tests)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.host = f"127.0.0.1:{self.port}"
        self.stopped = False
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    # ---- the test's side -------------------------------------------------------------------

    def uri(self, extra=""):
        return f"mongodb://{self.host}/?replicaSet={self.set_name}&serverSelectionTimeoutMS=5000{extra}"

    def stop(self):
        self.stopped = True
        self.sock.close()

    def _tick(self):
        now = int(time.time())
        if now > self.clock[0]:
            self.clock = [now, 1]
        else:
            self.clock[1] += 1
        return Timestamp(self.clock[0], self.clock[1])

    def _event(self, db, coll, op, key_value, post=None, update=None):
        seq = self.next_seq
        self.next_seq += 1
        ev = {"_id": _token(seq), "operationType": op, "clusterTime": self._tick(),
              "wallTime": dt.datetime.now(dt.timezone.utc).replace(microsecond=0),
              "ns": {"db": db, "coll": coll}, "documentKey": {"_id": key_value}}
        if update is not None:
            ev["updateDescription"] = {"updatedFields": update, "removedFields": [], "truncatedArrays": []}
        self.events.append((seq, db, coll, ev, bson.decode(bson.encode(post), CODEC) if post is not None else None))
        self.cond.notify_all()

    def insert(self, db, coll, *docs):
        with self.cond:
            c = self.dbs.setdefault(db, {}).setdefault(coll, {})
            for d in docs:
                d = dict(d)
                d.setdefault("_id", ObjectId())
                c[_key(d["_id"])] = d
                self._event(db, coll, "insert", d["_id"], post=d)

    def create_collection(self, db, coll):
        with self.cond:
            self.dbs.setdefault(db, {}).setdefault(coll, {})

    def update(self, db, coll, id_value, fields):
        """$set of `fields` on the document with this _id."""
        with self.cond:
            d = self.dbs[db][coll][_key(id_value)]
            d.update(fields)
            self._event(db, coll, "update", id_value, post=d, update=fields)

    def replace(self, db, coll, doc):
        with self.cond:
            self.dbs[db][coll][_key(doc["_id"])] = dict(doc)
            self._event(db, coll, "replace", doc["_id"], post=doc)

    def delete(self, db, coll, id_value):
        with self.cond:
            del self.dbs[db][coll][_key(id_value)]
            self._event(db, coll, "delete", id_value)

    def documents(self, db, coll):
        with self.cond:
            return [self.dbs[db][coll][k] for k in sorted(self.dbs.get(db, {}).get(coll, {}))]

    def trim_history(self):
        """The oplog rolls over: every event so far is gone, so a token before the newest one
        can no longer be resumed (ChangeStreamHistoryLost)."""
        with self.cond:
            self.oldest_seq = self.next_seq

    # ---- the wire --------------------------------------------------------------------------

    def _accept(self):
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn, self.connections), daemon=True).start()

    @staticmethod
    def _read_exact(conn, n):
        buf = b""
        while len(buf) < n:
            chunk = conn.recv(n - len(buf))
            if not chunk:
                raise ConnectionError
            buf += chunk
        return buf

    def _serve(self, conn, connection_id):
        session = {"id": connection_id, "user": None, "scram": None}
        try:
            while not self.stopped:
                header = self._read_exact(conn, 16)
                length, request_id, _, opcode = struct.unpack("<iiii", header)
                body = self._read_exact(conn, length - 16)
                if opcode == OP_QUERY:
                    cstring_end = body.index(b"\0", 4)
                    doc_len = struct.unpack("<i", body[cstring_end + 9:cstring_end + 13])[0]
                    query = bson.decode(body[cstring_end + 9:cstring_end + 9 + doc_len], CODEC)
                    if "$query" in query:
                        query = query["$query"]
                    reply = self._command(query, session)
                    payload = struct.pack("<iqii", 0, 0, 0, 1) + bson.encode(reply)
                    conn.sendall(struct.pack("<iiii", 16 + len(payload), 0, request_id, OP_REPLY) + payload)
                elif opcode == OP_MSG:
                    flags = struct.unpack("<I", body[:4])[0]
                    end = len(body) - (4 if flags & 1 else 0)
                    pos, cmd = 4, None
                    while pos < end:
                        kind = body[pos]
                        pos += 1
                        size = struct.unpack("<i", body[pos:pos + 4])[0]
                        if kind == 0:
                            cmd = bson.decode(body[pos:pos + size], CODEC)
                            pos += size
                        else:
                            section = body[pos + 4:pos + size]
                            name_end = section.index(b"\0")
                            ident = section[:name_end].decode()
                            docs = bson.decode_all(section[name_end + 1:], CODEC)
                            pos += size
                            cmd.setdefault(ident, []).extend(docs)
                    reply = self._command(cmd, session)
                    payload = struct.pack("<I", 0) + b"\0" + bson.encode(reply)
                    conn.sendall(struct.pack("<iiii", 16 + len(payload), 0, request_id, OP_MSG) + payload)
                else:
                    return
        except (ConnectionError, OSError, ValueError):
            pass
        finally:
            conn.close()

    def _command(self, cmd, session):
        name = next(iter(cmd))
        self.commands.append(name)
        try:
            handler = getattr(self, "_cmd_" + name.lower(), None)
            if handler is None:
                raise CommandError(59, "CommandNotFound", f"no such command: '{name}'")
            open_commands = ("hello", "ismaster", "buildinfo", "ping", "saslstart", "saslcontinue", "endsessions")
            if self.users and session["user"] is None and name.lower() not in open_commands:
                raise CommandError(13, "Unauthorized", f"command {name} requires authentication")
            reply = handler(cmd, session)
            reply["ok"] = 1.0
        except CommandError as e:
            reply = {"ok": 0.0, "errmsg": e.message, "code": e.code, "codeName": e.name}
            if e.code == 286:
                reply["errorLabels"] = ["NonResumableChangeStreamError"]
        with self.cond:
            reply["operationTime"] = Timestamp(self.clock[0], self.clock[1])
        return reply

    # ---- handshake and auth ------------------------------------------------------------------

    def _cmd_hello(self, cmd, session):
        reply = {"helloOk": True, "ismaster": True, "isWritablePrimary": True, "secondary": False,
                 "setName": self.set_name, "setVersion": 1, "hosts": [self.host], "primary": self.host,
                 "me": self.host, "electionId": ObjectId("7fffffff0000000000000001"),
                 "maxBsonObjectSize": 16777216, "maxMessageSizeBytes": 48000000, "maxWriteBatchSize": 100000,
                 "localTime": dt.datetime.now(dt.timezone.utc), "logicalSessionTimeoutMinutes": 30,
                 "connectionId": session["id"], "minWireVersion": 0, "maxWireVersion": 13, "readOnly": False}
        mechs = cmd.get("saslSupportedMechs")
        if mechs and mechs.split(".", 1)[-1] in self.users:
            reply["saslSupportedMechs"] = ["SCRAM-SHA-256"]
        return reply

    _cmd_ismaster = _cmd_hello

    def _cmd_buildinfo(self, cmd, session):
        return {"version": "5.0.0-sluice-test-double", "versionArray": [5, 0, 0, 0], "maxBsonObjectSize": 16777216}

    def _cmd_ping(self, cmd, session):
        return {}

    def _cmd_endsessions(self, cmd, session):
        return {}

    def _cmd_saslstart(self, cmd, session):
        if cmd.get("mechanism") != "SCRAM-SHA-256":
            raise CommandError(2, "BadValue", f"mechanism {cmd.get('mechanism')} is not supported")
        first = bytes(cmd["payload"]).decode()
        bare = first.split(",", 2)[2]
        attrs = dict(p.split("=", 1) for p in bare.split(","))
        user = attrs.get("n")
        if user not in self.users:
            raise CommandError(18, "AuthenticationFailed", "Authentication failed.")
        salt = hashlib.sha256(user.encode()).digest()[:28]  # MongoDB: 28 bytes for SHA-256
        nonce = attrs["r"] + base64.b64encode(os.urandom(18)).decode()
        server_first = f"r={nonce},s={base64.b64encode(salt).decode()},i={SCRAM_ITERATIONS}"
        session["scram"] = {"user": user, "bare": bare, "server_first": server_first, "nonce": nonce, "salt": salt}
        return {"conversationId": 1, "done": False, "payload": bson.binary.Binary(server_first.encode())}

    def _cmd_saslcontinue(self, cmd, session):
        s = session.get("scram")
        if s is None:
            raise CommandError(17, "ProtocolError", "no SASL session")
        final = bytes(cmd["payload"]).decode()
        if not final:  # the client's empty last step
            return {"conversationId": 1, "done": True, "payload": bson.binary.Binary(b"")}
        without_proof, proof = final.rsplit(",p=", 1)
        attrs = dict(p.split("=", 1) for p in without_proof.split(","))
        if attrs.get("r") != s["nonce"]:
            raise CommandError(18, "AuthenticationFailed", "Authentication failed.")
        salted = hashlib.pbkdf2_hmac("sha256", self.users[s["user"]].encode(), s["salt"], SCRAM_ITERATIONS)
        client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
        stored_key = hashlib.sha256(client_key).digest()
        auth_message = f"{s['bare']},{s['server_first']},{without_proof}".encode()
        signature = hmac.new(stored_key, auth_message, hashlib.sha256).digest()
        expected = bytes(a ^ b for a, b in zip(client_key, signature))
        if base64.b64decode(proof) != expected:
            session["scram"] = None
            raise CommandError(18, "AuthenticationFailed", "Authentication failed.")
        server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
        server_sig = base64.b64encode(hmac.new(server_key, auth_message, hashlib.sha256).digest()).decode()
        session["user"] = s["user"]
        return {"conversationId": 1, "done": True, "payload": bson.binary.Binary(f"v={server_sig}".encode())}

    # ---- reads -------------------------------------------------------------------------------

    def _new_cursor(self, state):
        with self.cond:
            cid = self.next_cursor
            self.next_cursor += 1
            self.cursors[cid] = state
            return cid

    def _cmd_listcollections(self, cmd, session):
        db = cmd["$db"]
        with self.cond:
            names = sorted(self.dbs.get(db, {}))
        return {"cursor": {"id": Int64(0), "ns": f"{db}.$cmd.listCollections",
                           "firstBatch": [{"name": n, "type": "collection", "options": {},
                                           "info": {"readOnly": False}} for n in names]}}

    def _batch(self, cid, state, size):
        docs = state["docs"][state["pos"]:state["pos"] + size]
        state["pos"] += len(docs)
        done = state["pos"] >= len(state["docs"])
        if done:
            self.cursors.pop(cid, None)
        return docs, (Int64(0) if done else Int64(cid))

    def _cmd_find(self, cmd, session):
        db, coll = cmd["$db"], cmd["find"]
        flt = cmd.get("filter") or {}
        with self.cond:
            docs = [self.dbs.get(db, {}).get(coll, {})[k] for k in sorted(self.dbs.get(db, {}).get(coll, {}))]
        if flt:
            cond = flt.get("_id")
            if set(flt) != {"_id"} or not isinstance(cond, dict) or set(cond) != {"$gt"}:
                raise CommandError(2, "BadValue", f"the test double only filters on {{_id: {{$gt: v}}}}, got {flt}")
            low = _key(cond["$gt"])
            docs = [d for d in docs if _key(d["_id"])[0] == low[0] and _key(d["_id"]) > low]
        if cmd.get("limit"):
            docs = docs[:int(cmd["limit"])]
        state = {"kind": "find", "docs": docs, "pos": 0, "ns": f"{db}.{coll}"}
        cid = self._new_cursor(state)
        batch, cid = self._batch(cid, state, int(cmd.get("batchSize", 101)))
        return {"cursor": {"firstBatch": batch, "id": cid, "ns": state["ns"]}}

    def _cmd_aggregate(self, cmd, session):
        db = cmd["$db"]
        pipeline = cmd.get("pipeline") or []
        if pipeline and "$changeStream" in pipeline[0]:
            return self._open_change_stream(cmd, db, pipeline)
        if len(pipeline) == 1 and "$sample" in pipeline[0]:
            coll = cmd["aggregate"]
            with self.cond:
                c = self.dbs.get(db, {}).get(coll, {})
                docs = [c[k] for k in sorted(c)][:int(pipeline[0]["$sample"]["size"])]
            state = {"kind": "find", "docs": docs, "pos": 0, "ns": f"{db}.{coll}"}
            cid = self._new_cursor(state)
            batch, cid = self._batch(cid, state, int(cmd.get("cursor", {}).get("batchSize", 101)))
            return {"cursor": {"firstBatch": batch, "id": cid, "ns": state["ns"]}}
        raise CommandError(2, "BadValue", f"the test double does not run pipeline {pipeline}")

    def _open_change_stream(self, cmd, db, pipeline):
        opts = pipeline[0]["$changeStream"]
        match = {}
        for stage in pipeline[1:]:
            if set(stage) != {"$match"}:
                raise CommandError(2, "BadValue", f"the test double only filters change streams with $match: {stage}")
            match.update(stage["$match"])
        full = opts.get("fullDocument", "default")
        with self.cond:
            token = opts.get("resumeAfter") or opts.get("startAfter")
            if token is not None:
                after = int(token["_data"], 16)
                if after < self.oldest_seq - 1:
                    raise CommandError(286, "ChangeStreamHistoryLost",
                                       "Executor error during aggregate command on namespace: "
                                       f"{db}.$cmd.aggregate :: caused by :: Resume of change stream was not "
                                       "possible, as the resume point may no longer be in the oplog.")
            else:
                after = self.next_seq - 1
            state = {"kind": "change", "db": db, "match": match, "full": full, "after": after,
                     "ns": f"{db}.$cmd.aggregate"}
        cid = self._new_cursor(state)
        batch = self._change_batch(state, int(cmd.get("cursor", {}).get("batchSize", 1000)), 0)
        return {"cursor": {"firstBatch": batch, "id": Int64(cid), "ns": state["ns"],
                           "postBatchResumeToken": _token(state["after"])}}

    def _change_batch(self, state, size, wait_ms):
        deadline = time.time() + wait_ms / 1000.0
        with self.cond:
            while True:
                if state["after"] < self.oldest_seq - 1:
                    raise CommandError(286, "ChangeStreamHistoryLost",
                                       "Resume of change stream was not possible, as the resume point may no "
                                       "longer be in the oplog.")
                out = []
                for seq, db, coll, ev, post in self.events:
                    if seq <= state["after"]:
                        continue
                    if len(out) >= size:
                        break
                    state["after"] = seq  # scanned: the postBatchResumeToken moves past it
                    if db != state["db"] or not _matches(ev, state["match"]):
                        continue
                    ev = dict(ev)
                    if ev["operationType"] in ("insert", "replace"):
                        ev["fullDocument"] = post
                    elif ev["operationType"] == "update":
                        if state["full"] == "updateLookup":
                            ev["fullDocument"] = self.dbs.get(db, {}).get(coll, {}).get(_key(ev["documentKey"]["_id"]))
                        elif state["full"] in ("required", "whenAvailable"):
                            ev["fullDocument"] = post
                    out.append(ev)
                if out or time.time() >= deadline:
                    return out
                self.cond.wait(max(0.0, deadline - time.time()))

    def _cmd_getmore(self, cmd, session):
        cid = int(cmd["getMore"])
        state = self.cursors.get(cid)
        if state is None:
            raise CommandError(43, "CursorNotFound", f"cursor id {cid} not found")
        if state["kind"] == "find":
            batch, new_id = self._batch(cid, state, int(cmd.get("batchSize", 101)))
            return {"cursor": {"nextBatch": batch, "id": new_id, "ns": state["ns"]}}
        batch = self._change_batch(state, int(cmd.get("batchSize", 1000)), int(cmd.get("maxTimeMS", 1000)))
        return {"cursor": {"nextBatch": batch, "id": Int64(cid), "ns": state["ns"],
                           "postBatchResumeToken": _token(state["after"])}}

    def _cmd_killcursors(self, cmd, session):
        killed = []
        for cid in cmd.get("cursors", []):
            if self.cursors.pop(int(cid), None) is not None:
                killed.append(Int64(cid))
        return {"cursorsKilled": killed, "cursorsNotFound": [], "cursorsAlive": [], "cursorsUnknown": []}
