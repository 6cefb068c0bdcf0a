namespace Cairn.Tests;

/// <summary>
/// Tests that measure allocations with <c>GC.GetTotalAllocatedBytes</c>, which counts the whole process: they run
/// after the parallel tests, one class at a time, so that no other test's allocations are counted as theirs.
/// </summary>
[CollectionDefinition(nameof(MemoryMeasurements), DisableParallelization = true)]
public sealed class MemoryMeasurements;
