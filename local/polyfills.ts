/**
 * Runtime polyfills for the local stack. Import this module first (before any library that
 * needs them): `import './polyfills.js';`.
 *
 * - `Promise.withResolvers` (ES2024, Node 22+): `aws-local-stepfunctions` 3.0.0 calls it in
 *   every Task state, and the project supports Node 20.
 */

interface PromiseWithResolversShim<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

type PromiseConstructorWithResolvers = PromiseConstructor & {
  withResolvers?: <T>() => PromiseWithResolversShim<T>;
};

const promiseConstructor = Promise as PromiseConstructorWithResolvers;

if (typeof promiseConstructor.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    enumerable: false,
    writable: true,
    value: function withResolvers<T>(this: unknown): PromiseWithResolversShim<T> {
      // Like the built-in, honour subclasses (`MyPromise.withResolvers()`).
      const Ctor: PromiseConstructor = typeof this === 'function' ? (this as PromiseConstructor) : Promise;
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Ctor<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

export {};
