'use strict';
// sn_ws.RESTMessageV2 and RESTResponseV2 as ServiceNow documents them:
//   - execute() sends synchronously and returns a RESTResponseV2; a failure
//     to connect (refused, DNS, TLS, timeout) throws a Java exception, whose
//     message getMessage() returns;
//   - executeAsync() (what a MID Server needs) returns a response whose
//     waitForResponse(seconds) blocks until the answer is there;
//   - getStatusCode() is a number (0 when no HTTP answer came), haveError()
//     is true for a failed transaction or an HTTP error status,
//     getHeader(name) is case-insensitive.
// The transport is the test's: (request) => {status, headers, body}, or it
// throws for a connection failure, or returns {status: 0, error} for a
// transaction that failed without an answer.

function javaException(message) {
  return { message: String(message), getMessage: () => String(message), toString: () => 'com.glide.communications.ProcessingException: ' + message };
}

function makeRest(sn) {
  class RESTResponseV2 {
    constructor(answer) { this.a = answer; }
    getStatusCode() { return this.a.status; }
    getBody() { return this.a.body == null ? '' : this.a.body; }
    getHeader(name) {
      const h = this.a.headers || {};
      const k = Object.keys(h).find((x) => x.toLowerCase() === String(name).toLowerCase());
      return k === undefined ? null : h[k];
    }
    haveError() { return !!this.a.error || this.a.status === 0 || this.a.status >= 400; }
    getErrorMessage() {
      if (this.a.error) return this.a.error;
      return this.a.status >= 400 ? 'Method failed: with code: ' + this.a.status : null;
    }
    getErrorCode() { return this.a.status === 0 ? 1 : 0; }
    waitForResponse() { /* the answer is already here */ }
  }
  class RESTMessageV2 {
    constructor() {
      this.req = { method: 'get', endpoint: null, headers: {}, body: '', timeoutMs: null, midServer: null, ecc: {} };
    }
    setEndpoint(u) { this.req.endpoint = String(u); }
    setHttpMethod(m) { this.req.method = String(m).toLowerCase(); }
    setRequestHeader(k, v) { this.req.headers[String(k)] = String(v); }
    setRequestBody(b) { this.req.body = String(b); }
    getRequestBody() { return this.req.body; }
    setHttpTimeout(ms) { this.req.timeoutMs = Number(ms); }
    setMIDServer(name) { this.req.midServer = String(name); }
    setEccParameter(k, v) { this.req.ecc[k] = v; }
    _send(async) {
      if (!this.req.endpoint) throw javaException('No endpoint set');
      this.req.async = async;
      sn.requests.push(this.req);
      sn.trace('http ' + this.req.method.toUpperCase() + ' ' + this.req.endpoint);
      let answer;
      try {
        answer = sn.transport(this.req);
      } catch (e) {
        throw javaException(e && e.message ? e.message : e);
      }
      return new RESTResponseV2(answer);
    }
    execute() { return this._send(false); }
    executeAsync() { return this._send(true); }
  }
  return { RESTMessageV2 };
}

module.exports = { makeRest, javaException };
