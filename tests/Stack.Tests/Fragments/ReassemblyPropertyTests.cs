using CsCheck;
using Stack.IP.Fragments;
using Stack.Link.Time;

namespace Stack.Tests.Fragments;

public sealed class ReassemblyPropertyTests
{
    private static readonly int[] Mtus = [68, 576, 1280, 1500, 4352, 9000];

    private static readonly Gen<(int Size, int MaxPayload, int Seed, int DuplicatePercent)> Cases =
        Gen.Select(
            Gen.Int[1, 65000],
            Gen.OneOf(Gen.Int[0, Mtus.Length - 1].Select(i => Fragmenter.MaxFragmentPayload(Mtus[i], 20, ipv6: false)), Gen.Int[8, 9000]),
            Gen.Int,
            Gen.Int[0, 50]);

    [Theory]
    [InlineData(OverlapPolicy.KeepFirst)]
    [InlineData(OverlapPolicy.DropDatagram)]
    public void Any_permutation_with_duplicates_reassembles_the_original(OverlapPolicy policy)
    {
        Cases.Sample(seed: FixedSeedSampling.Seed, c =>
        {
            // Keep the fragment count modest so a run stays quick (68-byte MTUs on 65000 bytes are ~1400 fragments).
            int maxPayload = Math.Max(c.MaxPayload, (c.Size / 256 + 8) & ~7);
            var reassembler = new Reassembler<int>(new ReassemblyLimits { OverlapPolicy = policy, MaxFragmentsPerDatagram = 512 });
            var random = new Random(c.Seed);
            byte[] payload = new byte[c.Size];
            random.NextBytes(payload);
            byte[] header = new byte[20];
            random.NextBytes(header);

            var slices = new FragmentSlice[Fragmenter.Count(c.Size, maxPayload)];
            Fragmenter.Plan(c.Size, maxPayload, slices);
            var arrivals = new List<FragmentSlice>(slices);
            foreach (FragmentSlice s in slices)
                if (random.Next(100) < c.DuplicatePercent) arrivals.Add(s);
            random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(arrivals));

            var seen = new HashSet<int>();
            var now = Instant.FromMilliseconds(1);
            foreach (FragmentSlice s in arrivals)
            {
                seen.Add(s.Offset);
                ReassemblyResult r = reassembler.Add(7, s.Offset, s.More, payload.AsSpan(s.Offset, s.Length), header, now);
                if (r.Status == ReassemblyStatus.Dropped) return false;
                if (r.IsComplete)
                {
                    // Complete exactly when the last missing fragment arrives, with the original bytes, holding nothing.
                    return seen.Count == slices.Length
                        && r.Payload.SequenceEqual(payload)
                        && r.Header.SequenceEqual(header)
                        && reassembler.BytesHeld == 0
                        && reassembler.DatagramsInProgress == 0;
                }
            }
            return false;
        }, iter: 60);
    }
}
