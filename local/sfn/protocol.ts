// The local Step Functions service's API: the Step Functions JSON 1.0 protocol over node:http
// (the subset the code and tests use), so the unchanged @aws-sdk/client-sfn works against it.
// Each action reads or changes the runner's executions; answers wait for their journal write.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  historyDetailsKey,
  isObject,
  isValidExecutionName,
  MAX_BODY_BYTES,
  MAX_INPUT_BYTES,
  seconds,
  SfnError,
  type ExecutionRecord,
  type JsonObject,
  type LocalSfnOptions,
  type PendingWait,
  type PreparedMachine,
  type TaskOutcome,
} from './definition.js';
import type { ExecutionRunner } from './runner.js';
import { accessKeyIdOf } from '../aws-endpoint.js';

export class SfnProtocol {
  url = '';
  private readonly server: Server = createServer((req, res) => {
    void this.handleHttp(req, res);
  });

  constructor(
    private readonly runner: ExecutionRunner,
    private readonly authorize?: LocalSfnOptions['authorize'],
  ) {}

  async listen(port: number, host: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const { port: bound } = this.server.address() as AddressInfo;
    this.url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // -------------------------------------------------------------------------------------
  // HTTP

  private async handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let action = '';
    try {
      if (req.method === 'GET' && (req.url === '/health' || req.url === '/')) {
        this.send(res, 200, { status: 'ok' });
        return;
      }
      const target = req.headers['x-amz-target'];
      if (req.method !== 'POST' || typeof target !== 'string' || !target.startsWith('AWSStepFunctions.')) {
        req.resume();
        throw new SfnError('UnknownOperationException', 'Expected POST with X-Amz-Target: AWSStepFunctions.<Action>');
      }
      action = target.slice('AWSStepFunctions.'.length);
      const body = await this.readBody(req);
      let parsed: unknown = {};
      if (body.trim().length > 0) {
        try {
          parsed = JSON.parse(body);
        } catch {
          throw new SfnError('SerializationException', 'The request body is not valid JSON');
        }
      }
      if (!isObject(parsed)) throw new SfnError('SerializationException', 'The request body must be a JSON object');
      if (this.runner.journal.closing) throw new SfnError('ServiceUnavailable', 'The service is shutting down');
      if (this.authorize) {
        const refusal = await this.authorize({ accessKeyId: accessKeyIdOf(req.headers.authorization), action, body: parsed }, (token) => this.machineOfToken(token));
        if (refusal) {
          res.writeHead(refusal.status, { ...refusal.headers, 'content-length': Buffer.byteLength(refusal.body) });
          res.end(refusal.body);
          return;
        }
      }
      this.send(res, 200, this.dispatch(action, parsed));
    } catch (error) {
      if (error instanceof SfnError) {
        this.send(res, error.code === 'ServiceUnavailable' ? 503 : 400, { __type: error.code, message: error.message }, error.code);
      } else {
        // The message may quote request data: name the failure only.
        console.error(`local-sfn: internal error in ${action || 'request'}: ${error instanceof Error ? error.name : 'error'}`);
        this.send(res, 500, { __type: 'InternalFailure', message: 'Internal failure' }, 'InternalFailure');
      }
    }
  }

  private readBody(req: IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          reject(new SfnError('ValidationException', 'Request body too large'));
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
  }

  private send(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
    if (res.headersSent) return;
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomUUID(),
      ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
    });
    res.end(text);
  }

  private dispatch(action: string, body: JsonObject): unknown {
    switch (action) {
      case 'StartExecution':
        return this.startExecution(body);
      case 'DescribeExecution':
        return this.describeExecution(body);
      case 'StopExecution':
        return this.stopExecution(body);
      case 'SendTaskSuccess':
        return this.sendTaskResult(body, false);
      case 'SendTaskFailure':
        return this.sendTaskResult(body, true);
      case 'SendTaskHeartbeat':
        this.liveWait(this.tokenParam(body));
        return {};
      case 'ListExecutions':
        return this.listExecutions(body);
      case 'ListStateMachines':
        return this.listStateMachines(body);
      case 'DescribeStateMachine':
        return this.describeStateMachine(body);
      case 'DescribeStateMachineForExecution':
        return this.describeStateMachineForExecution(body);
      case 'GetExecutionHistory':
        return this.getExecutionHistory(body);
      default:
        throw new SfnError('UnknownOperationException', `Unsupported action: ${action}`);
    }
  }

  // -------------------------------------------------------------------------------------
  // Actions

  private startExecution(body: JsonObject): unknown {
    const machine = this.machineParam(body);
    const name = body.name === undefined || body.name === null ? randomUUID() : body.name;
    if (typeof name !== 'string' || !isValidExecutionName(name)) {
      throw new SfnError('InvalidName', 'Invalid Name: execution names are 1-80 characters without whitespace or special characters');
    }
    const input = body.input === undefined || body.input === null ? '{}' : body.input;
    if (typeof input !== 'string' || Buffer.byteLength(input) > MAX_INPUT_BYTES) {
      throw new SfnError('InvalidExecutionInput', 'Invalid State Machine Execution Input');
    }
    try {
      JSON.parse(input);
    } catch {
      throw new SfnError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not valid JSON');
    }
    const executionArn = this.runner.executionArn(machine, name);
    const existing = this.runner.records.get(executionArn);
    if (existing) {
      // AWS: a repeat StartExecution of a running execution with the same input is a no-op.
      if (existing.status === 'RUNNING' && existing.input === input) {
        return { executionArn, startDate: seconds(existing.startDate) };
      }
      throw new SfnError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const rec: ExecutionRecord = {
      version: 1,
      executionArn,
      stateMachineArn: machine.arn,
      stateMachineName: machine.name,
      name,
      input,
      status: 'RUNNING',
      startDate: Date.now(),
      closedTokens: [],
    };
    this.runner.journal.save(rec, { durable: true });
    this.runner.records.set(executionArn, rec);
    this.runner.journal.appendHistory(rec, 'ExecutionStarted', { input, roleArn: this.roleArn() });
    this.runner.launch(this.runner.createRun(rec, machine));
    return { executionArn, startDate: seconds(rec.startDate) };
  }

  private describeExecution(body: JsonObject): unknown {
    const rec = this.recordParam(body);
    // A version's ARN is its machine's with the version number after a colon (stateMachine:<name>:<n>).
    const version = /^(arn:aws:states:[^:]+:[^:]+:stateMachine:[^:]+):\d+$/.exec(rec.stateMachineArn);
    return {
      executionArn: rec.executionArn,
      stateMachineArn: version ? version[1] : rec.stateMachineArn,
      ...(version ? { stateMachineVersionArn: rec.stateMachineArn } : {}),
      name: rec.name,
      status: rec.status,
      startDate: seconds(rec.startDate),
      ...(rec.stopDate === undefined ? {} : { stopDate: seconds(rec.stopDate) }),
      input: rec.input,
      inputDetails: { included: true },
      ...(rec.output === undefined ? {} : { output: rec.output, outputDetails: { included: true } }),
      ...(rec.error === undefined ? {} : { error: rec.error }),
      ...(rec.cause === undefined ? {} : { cause: rec.cause }),
    };
  }

  private stopExecution(body: JsonObject): unknown {
    const rec = this.recordParam(body);
    if (rec.status !== 'RUNNING') return { stopDate: seconds(rec.stopDate ?? Date.now()) };
    const error = typeof body.error === 'string' ? body.error : undefined;
    const cause = typeof body.cause === 'string' ? body.cause : undefined;
    const run = this.runner.runs.get(rec.executionArn);
    if (run) {
      run.stopped = true;
      for (const wait of [...run.waits]) this.runner.retireWait(wait);
    }
    rec.status = 'ABORTED';
    rec.stopDate = Date.now();
    if (error !== undefined) rec.error = error;
    if (cause !== undefined) rec.cause = cause;
    delete rec.checkpoint;
    delete rec.waiting;
    this.runner.journal.save(rec, { durable: true });
    this.runner.journal.appendHistory(rec, 'ExecutionAborted', { ...(error ? { error } : {}), ...(cause ? { cause } : {}) });
    run?.abort();
    this.runner.scheduleIdleCheck();
    return { stopDate: seconds(rec.stopDate) };
  }

  private sendTaskResult(body: JsonObject, failed: boolean): unknown {
    const wait = this.liveWait(this.tokenParam(body));
    let outcome: TaskOutcome;
    if (failed) {
      const error = body.error === undefined || body.error === null ? undefined : body.error;
      const cause = body.cause === undefined || body.cause === null ? undefined : body.cause;
      if ((error !== undefined && typeof error !== 'string') || (cause !== undefined && typeof cause !== 'string')) {
        throw new SfnError('ValidationException', 'error and cause must be strings');
      }
      outcome = { failed: true, ...(error === undefined ? {} : { error }), ...(cause === undefined ? {} : { cause }) };
    } else {
      const output = body.output;
      if (typeof output !== 'string') throw new SfnError('InvalidOutput', 'Invalid Output: output is required');
      try {
        JSON.parse(output);
      } catch {
        throw new SfnError('InvalidOutput', 'Invalid Output: not valid JSON');
      }
      outcome = { failed: false, output };
    }
    this.runner.settleWait(wait, outcome, true);
    return {};
  }

  private listExecutions(body: JsonObject): unknown {
    const machine = this.machineParam(body);
    const filter = body.statusFilter;
    if (filter !== undefined && filter !== null && typeof filter !== 'string') {
      throw new SfnError('ValidationException', 'statusFilter must be a string');
    }
    const all = [...this.runner.records.values()]
      .filter((rec) => rec.stateMachineArn === machine.arn && (!filter || rec.status === filter))
      .sort((a, b) => b.startDate - a.startDate);
    const { items, nextToken } = this.page(all, body, 100);
    return {
      executions: items.map((rec) => ({
        executionArn: rec.executionArn,
        stateMachineArn: rec.stateMachineArn,
        name: rec.name,
        status: rec.status,
        startDate: seconds(rec.startDate),
        ...(rec.stopDate === undefined ? {} : { stopDate: seconds(rec.stopDate) }),
      })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  private listStateMachines(body: JsonObject): unknown {
    const { items, nextToken } = this.page([...this.runner.machines.values()], body, 100);
    return {
      stateMachines: items.map((m) => ({
        stateMachineArn: m.arn,
        name: m.name,
        type: 'STANDARD',
        creationDate: seconds(m.creationDate),
      })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  private describeStateMachine(body: JsonObject): unknown {
    const machine = this.machineParam(body);
    return {
      stateMachineArn: machine.arn,
      name: machine.name,
      status: 'ACTIVE',
      definition: machine.definitionText,
      roleArn: this.roleArn(),
      type: 'STANDARD',
      creationDate: seconds(machine.creationDate),
    };
  }

  private describeStateMachineForExecution(body: JsonObject): unknown {
    const rec = this.recordParam(body);
    const machine = this.runner.machines.get(rec.stateMachineArn);
    if (!machine) throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${rec.stateMachineArn}'`);
    return {
      stateMachineArn: machine.arn,
      name: machine.name,
      definition: machine.definitionText,
      roleArn: this.roleArn(),
      updateDate: seconds(machine.creationDate),
    };
  }

  private getExecutionHistory(body: JsonObject): unknown {
    const rec = this.recordParam(body);
    const includeData = body.includeExecutionData !== false;
    const events = this.runner.journal.readHistory(rec);
    if (body.reverseOrder === true) events.reverse();
    const { items, nextToken } = this.page(events, body, 100);
    return {
      events: items.map((event) => {
        const details = event.details ? { ...event.details } : undefined;
        if (details && !includeData) {
          delete details.input;
          delete details.output;
          delete details.parameters;
        }
        return {
          timestamp: seconds(event.timestamp),
          type: event.type,
          id: event.id,
          previousEventId: event.previousEventId,
          ...(details ? { [historyDetailsKey(event.type)]: details } : {}),
        };
      }),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  // -------------------------------------------------------------------------------------
  // Parameter helpers

  private roleArn(): string {
    return this.runner.roleArn();
  }

  private machineParam(body: JsonObject): PreparedMachine {
    const arn = body.stateMachineArn;
    if (typeof arn !== 'string' || !arn.startsWith('arn:')) throw new SfnError('InvalidArn', 'Invalid Arn: stateMachineArn');
    const machine = this.runner.machineFor(arn);
    if (!machine) throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  private recordParam(body: JsonObject): ExecutionRecord {
    const arn = body.executionArn;
    if (typeof arn !== 'string' || !arn.startsWith('arn:')) throw new SfnError('InvalidArn', 'Invalid Arn: executionArn');
    const rec = this.runner.records.get(arn);
    if (!rec) throw new SfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return rec;
  }

  /** The machine a token was issued by, open or closed (AWS reads it from the token itself). */
  private machineOfToken(token: string): string | undefined {
    const open = this.runner.tokens.get(token)?.run.rec.stateMachineArn;
    if (open || !this.runner.closedTokens.has(token)) return open;
    return [...this.runner.records.values()].find((r) => r.closedTokens.includes(token))?.stateMachineArn;
  }

  private tokenParam(body: JsonObject): string {
    const token = body.taskToken;
    if (typeof token !== 'string' || token.length === 0 || token.length > 2048) {
      throw new SfnError('InvalidToken', 'Invalid Token');
    }
    return token;
  }

  /** The waiting task for a token; a token that was issued and is closed answers TaskTimedOut, like AWS. */
  private liveWait(token: string): PendingWait {
    const wait = this.runner.tokens.get(token);
    if (wait && !wait.settled && !wait.run.stopped) return wait;
    if (wait || this.runner.closedTokens.has(token)) {
      throw new SfnError('TaskTimedOut', 'Task Timed Out: Provided task does not exist anymore');
    }
    throw new SfnError('InvalidToken', 'Invalid Token');
  }

  private page<T>(all: readonly T[], body: JsonObject, defaultSize: number): { items: T[]; nextToken?: string } {
    const max = typeof body.maxResults === 'number' && body.maxResults > 0 ? Math.min(body.maxResults, 1000) : defaultSize;
    let offset = 0;
    if (typeof body.nextToken === 'string' && body.nextToken.length > 0) {
      const decoded = Number(Buffer.from(body.nextToken, 'base64url').toString('utf8'));
      if (!Number.isInteger(decoded) || decoded < 0) throw new SfnError('InvalidToken', 'Invalid nextToken');
      offset = decoded;
    }
    const items = all.slice(offset, offset + max);
    const next = offset + max < all.length ? Buffer.from(String(offset + max)).toString('base64url') : undefined;
    return next ? { items, nextToken: next } : { items };
  }
}
