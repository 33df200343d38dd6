# Peer for bench/gemm.ts: the same shapes through PyTorch (cuBLAS) on the same GPU, timed with
# CUDA events (median of 5 repetitions of back-to-back calls). Prints one JSON line.
#   gemm_4096_bf16 / gemm_4096_f16: TFLOP/s of torch.matmul on 4096³ (bf16 is the headline peer)
#   gemv_<R>x<C>_bf16: GB/s of weight read by linear(x[1,C], W[R,C]) (W rotated past L2)
import json, statistics
import torch

torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction = False
torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction = False
dev = 'cuda'


def timed(fn, iters):
    fn()
    torch.cuda.synchronize()
    reps = []
    for _ in range(5):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        for _ in range(iters):
            fn()
        e.record()
        torch.cuda.synchronize()
        reps.append(s.elapsed_time(e) / iters)
    return statistics.median(reps)  # ms


out = {'device': torch.cuda.get_device_name(0), 'torch': torch.__version__}
n = 4096
for dtype, key in [(torch.bfloat16, 'gemm_4096_bf16'), (torch.float16, 'gemm_4096_f16')]:
    a = torch.randn(n, n, device=dev, dtype=dtype)
    b = torch.randn(n, n, device=dev, dtype=dtype)
    ms = timed(lambda: torch.matmul(a, b), 50)
    out[key] = 2 * n**3 / ms / 1e9

for rows, cols in [(14336, 4096), (128256, 4096)]:
    count = max(1, -(-300_000_000 // (rows * cols * 2)))
    ws = [torch.randn(rows, cols, device=dev, dtype=torch.bfloat16) for _ in range(count)]
    x = torch.randn(1, cols, device=dev, dtype=torch.bfloat16)
    step = [0]

    def gemv():
        step[0] += 1
        return torch.nn.functional.linear(x, ws[step[0] % count])

    ms = timed(gemv, 100)
    out[f'gemv_{rows}x{cols}_bf16'] = rows * cols * 2 / ms / 1e6
    del ws
print(json.dumps(out), flush=True)
