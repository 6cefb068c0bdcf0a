using System.Diagnostics;

namespace Cairn.Bench.Floor;

/// <summary>
/// The ceiling of password sign-in: bcrypt verifications per second at a cost, one thread per core, nothing
/// else. A sign-in is one verification, so a server's sign-ins per second are judged against this rate,
/// measured on the same machine in the same run.
/// </summary>
internal static class BcryptRate
{
    public static void Measure(int cost, TimeSpan duration)
    {
        var hash = BCrypt.Net.BCrypt.HashPassword(SeedData.Password, cost);
        BCrypt.Net.BCrypt.Verify(SeedData.Password, hash); // JIT before the clock starts
        var threads = Environment.ProcessorCount;
        long verified = 0;
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ =>
        {
            while (clock.Elapsed < duration)
            {
                if (!BCrypt.Net.BCrypt.Verify(SeedData.Password, hash)) throw new InvalidOperationException("bcrypt verification failed");
                Interlocked.Increment(ref verified);
            }
        });
        var seconds = clock.Elapsed.TotalSeconds;
        // CPU per verification is far less disturbed by other work on the box than verifications per second.
        var cpuUs = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMicroseconds / verified;
        Console.WriteLine($"BCRYPT cost={cost} threads={threads} verified={verified} seconds={seconds:F2} rate={verified / seconds:F1} cpu_us={cpuUs:F0}");
    }
}
