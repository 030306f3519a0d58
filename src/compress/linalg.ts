// Small dense linear algebra for error-compensated compression: symmetric positive
// definite matrices (a layer's input Gram matrix X^T X + damping, K x K, row-major
// Float64Array), their Cholesky factors, inverses and solves. K is at most a few
// thousand (a filter row), so O(K^3) once per layer is cheap next to the Gram itself.

/** Thrown when a matrix is not positive definite (a pivot <= 0). */
export class NotPositiveDefinite extends Error {}

/** Lower Cholesky factor L (A = L L^T) of the n x n SPD matrix a. */
export function cholesky(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= l[j * n + k] * l[j * n + k];
    if (!(d > 0)) throw new NotPositiveDefinite(`pivot ${j} is ${d}`);
    const ljj = Math.sqrt(d);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      const li = i * n, lj = j * n;
      for (let k = 0; k < j; k++) s -= l[li + k] * l[lj + k];
      l[li + j] = s / ljj;
    }
  }
  return l;
}

/** Inverse of the SPD matrix a from its lower Cholesky factor: A^-1 = L^-T L^-1. */
export function inverseFromCholesky(l: Float64Array, n: number): Float64Array {
  // m = L^-1 (lower triangular), by forward substitution column by column
  const m = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    m[j * n + j] = 1 / l[j * n + j];
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= l[i * n + k] * m[k * n + j];
      m[i * n + j] = s / l[i * n + i];
    }
  }
  // A^-1 = m^T m (symmetric)
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = j; k < n; k++) s += m[k * n + i] * m[k * n + j];
      inv[i * n + j] = s;
      inv[j * n + i] = s;
    }
  }
  return inv;
}

/** Upper Cholesky factor U of the SPD matrix a (A = U^T U): the transpose of the lower one. */
export function upperCholesky(a: Float64Array, n: number): Float64Array {
  const l = cholesky(a, n);
  const u = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) u[j * n + i] = l[i * n + j];
  return u;
}

/** Solves A x = b for SPD A (n x n). */
export function solveSpd(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const l = cholesky(a, n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * y[k];
    y[i] = s / l[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
    x[i] = s / l[i * n + i];
  }
  return x;
}

/** A + lambda I with lambda = fraction x mean(diag A); zero diagonal entries (inputs never seen) become 1 first. */
export function damped(a: Float64Array, n: number, fraction: number): Float64Array {
  const d = Float64Array.from(a);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += a[i * n + i];
  mean = mean / n || 1;
  for (let i = 0; i < n; i++) {
    if (d[i * n + i] <= 0) d[i * n + i] = mean;
    d[i * n + i] += fraction * mean;
  }
  return d;
}

/** x^T A x for a symmetric n x n A. */
export function quadForm(a: Float64Array, x: ArrayLike<number>, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    if (xi === 0) continue;
    let r = 0;
    const row = i * n;
    for (let j = 0; j < n; j++) r += a[row + j] * x[j];
    s += xi * r;
  }
  return s;
}

/** a x for the n x n matrix a (row-major), each entry summed in column order. */
export function matVec(a: Float64Array, x: ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = i * n;
    let s = 0;
    for (let j = 0; j < n; j++) s += a[row + j] * x[j];
    out[i] = s;
  }
  return out;
}
