import RealModule

/// The standard normal distribution.
///
/// `cdf` and `sf` are computed from the complementary error function on the side where the
/// result is small, so both keep full relative precision far into the tails (down to about
/// 1e-308). `quantile` is Wichura's AS 241 (`PPND16`), accurate to about 1e-16 relative for
/// probabilities down to the smallest normal double.
///
/// ```swift
/// Normal.cdf(1.959963984540054)   // 0.975
/// Normal.quantile(0.975)          // 1.959963984540054
/// Normal.sf(-37.5)                // 1 − 4.6e-308
/// ```
public enum Normal {
    static let inverseSqrt2 = 0.707_106_781_186_547_524_400_844_362_104_849
    static let inverseSqrt2Pi = 0.398_942_280_401_432_677_939_946_059_934_382

    /// The density φ(x).
    public static func pdf(_ x: Double) -> Double {
        inverseSqrt2Pi * Double.exp(-0.5 * x * x)
    }

    /// Φ(x) = P(Z ≤ x).
    public static func cdf(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        if x < 0 { return 0.5 * Double.erfc(-x * inverseSqrt2) }
        return 1 - 0.5 * Double.erfc(x * inverseSqrt2)
    }

    /// The survival function 1 − Φ(x) = P(Z > x), accurate in the upper tail.
    public static func sf(_ x: Double) -> Double {
        cdf(-x)
    }

    /// The quantile Φ⁻¹(p) for p in [0, 1]; ±infinity at the ends, NaN outside.
    ///
    /// Algorithm AS 241, M. J. Wichura, *Applied Statistics* 37 (1988), 477–484.
    public static func quantile(_ p: Double) -> Double {
        if p.isNaN || p < 0 || p > 1 { return .nan }
        if p == 0 { return -.infinity }
        if p == 1 { return .infinity }
        let q = p - 0.5
        if abs(q) <= 0.425 {
            let r = 0.180625 - q * q
            let num =
                (((((((2509.080_928_730_122_672_7 * r + 33430.575_583_588_128_105) * r
                    + 67265.770_927_008_700_853) * r + 45921.953_931_549_871_457) * r
                    + 13731.693_765_509_461_125) * r + 1971.590_950_306_551_442_7) * r
                    + 133.141_667_891_784_377_45) * r + 3.387_132_872_796_366_608)
            let den =
                (((((((5226.495_278_852_545_925_3 * r + 28729.085_735_721_942_674) * r
                    + 39307.895_800_092_710_610) * r + 21213.794_301_586_595_867) * r
                    + 5394.196_021_424_751_077_1) * r + 687.187_007_492_057_908_95) * r
                    + 42.313_330_701_600_911_252) * r + 1)
            return q * num / den
        }
        // Tail: r = sqrt(−log(min(p, 1 − p))); 1 − p is exact for p ≥ 0.5.
        var r = q < 0 ? p : 1 - p
        r = (-Double.log(r)).squareRoot()
        var value: Double
        if r <= 5 {
            r -= 1.6
            let num =
                (((((((7.745_450_142_783_414_076_4e-4 * r + 0.022_723_844_989_269_184_583_6) * r
                    + 0.241_780_725_177_450_611_770) * r + 1.270_458_252_452_368_382_58) * r
                    + 3.647_848_324_763_204_605_04) * r + 5.769_497_221_460_691_405_5) * r
                    + 4.630_337_846_156_545_295_9) * r + 1.423_437_110_749_683_577_34)
            let den =
                (((((((1.050_750_071_644_416_843_24e-9 * r + 5.475_938_084_995_344_946_0e-4) * r
                    + 0.015_198_666_563_616_457_204_1) * r + 0.148_103_976_427_480_074_590) * r
                    + 0.689_767_334_985_100_004_550) * r + 1.676_384_830_183_803_849_40) * r
                    + 2.053_191_626_637_758_821_87) * r + 1)
            value = num / den
        } else {
            r -= 5
            let num =
                (((((((2.010_334_399_292_288_132_65e-7 * r + 2.711_555_568_743_487_578_15e-5) * r
                    + 0.001_242_660_947_388_078_438_60) * r + 0.026_532_189_526_576_123_093_0) * r
                    + 0.296_560_571_828_504_891_230) * r + 1.784_826_539_917_291_335_80) * r
                    + 5.463_784_911_164_114_369_90) * r + 6.657_904_643_501_103_777_20)
            let den =
                (((((((2.044_263_103_389_939_785_64e-15 * r + 1.421_511_758_316_445_888_70e-7) * r
                    + 1.846_318_317_510_054_681_89e-5) * r + 7.868_691_311_456_132_591_00e-4) * r
                    + 0.014_875_361_290_850_614_852_3) * r + 0.136_929_880_922_735_805_310) * r
                    + 0.599_832_206_555_887_937_690) * r + 1)
            value = num / den
        }
        return q < 0 ? -value : value
    }

    /// The upper quantile: the x with P(Z > x) = p, accurate for tiny p.
    public static func inverseSurvival(_ p: Double) -> Double {
        -quantile(p)
    }
}
