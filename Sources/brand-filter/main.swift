import BrandFilter
import FunctionRuntime

FunctionRunner.main(BrandFilterFunction.definition)
